use super::*;

#[test]
fn denied_words_the_two_cases_as_aws_does() {
    let check = Check::new("ssm:GetParameter", "arn:aws:ssm:us-east-1:1:parameter/a");
    assert_eq!(
        Denied::new("arn:aws:iam::1:user/alice", &check, false).to_string(),
        "User: arn:aws:iam::1:user/alice is not authorized to perform: ssm:GetParameter \
         on resource: arn:aws:ssm:us-east-1:1:parameter/a because no policy allows the action"
    );
    assert_eq!(
        Denied::new("arn:aws:iam::1:user/alice", &check, true).to_string(),
        "User: arn:aws:iam::1:user/alice is not authorized to perform: ssm:GetParameter \
         on resource: arn:aws:ssm:us-east-1:1:parameter/a with an explicit deny in a policy"
    );
}
