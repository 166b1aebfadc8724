//! KinkoAdmin (the admin API) JSON requests through `kinko_aws::dispatch` on fresh in-memory
//! services: decoding, validation and the operations themselves.
#![no_main]

use kinko_aws::Service;
use kinko_fuzz::service_target;

libfuzzer_sys::fuzz_target!(|data: &[u8]| service_target::run(Service::Admin, data));

libfuzzer_sys::fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    service_target::mutate(Service::Admin, data, size, max_size, seed)
});
