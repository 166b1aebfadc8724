//! kinko's vocabulary, below everything else: what a request, a policy, a
//! reference or an audit record *is*, with no storage and no HTTP.
