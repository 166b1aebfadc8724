#!/usr/bin/env python3
"""Seeds for sigv4_parse and sigv4_verify: requests as botocore (the aws
CLI's and boto3's signer) sends them to kinko, signed with the SigV4 test
key at the spec's test time, in the header form and the presigned query
form, plus the hand-written forms other clients use (oha without spaces,
the `Date` header). Written as HTTP/1.1 text (fuzz/src/request_text.rs).

Run from this directory:  python3 make_sigv4_seeds.py
"""
import datetime
import os
from unittest import mock

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TOKEN = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "FQoGZXIvYXdzEJr//////////wEaDEXAMPLE+token/==")
T0 = datetime.datetime(2015, 8, 30, 12, 36, 0)

CASES = [
    ("ssm-get-parameter", "ssm", "AmazonSSM.GetParameter", b'{"Name":"/app/db/password","WithDecryption":true}', "/", KEY),
    ("secretsmanager-with-token", "secretsmanager", "secretsmanager.GetSecretValue", b'{"SecretId":"prod/app"}', "/", TOKEN),
    ("kms-encrypt", "kms", "TrentService.Encrypt", b'{"KeyId":"alias/aws/ssm","Plaintext":"aGk="}', "/", KEY),
    ("admin-odd-path", "kinko", "KinkoAdmin.ListPrincipals", b"{}", "/a%2Fb/./c/../d%20e?x=1&b=2&a=a+b&flag", KEY),
]


def text(method, url, headers, body):
    path = url.split("localhost:4566", 1)[1] or "/"
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def write(name, data):
    for target in ("sigv4_parse", "sigv4_verify"):
        os.makedirs(target, exist_ok=True)
        with open(os.path.join(target, name), "wb") as f:
            f.write(data)


with mock.patch("botocore.auth.get_current_datetime", return_value=T0):
    for name, service, target, body, path, creds in CASES:
        url = f"http://localhost:4566{path}"
        headers = {
            "Host": "localhost:4566",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": target,
            "User-Agent": "aws-cli/2 botocore/1",
        }
        request = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4Auth(creds, service, "us-east-1").add_auth(request)
        write(name, text("POST", request.url, dict(request.headers.items()), body))

        request = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4QueryAuth(creds, service, "us-east-1", expires=300).add_auth(request)
        write(name + "-presigned", text("POST", request.url, dict(request.headers.items()), body))

SIG = "ce77ab12693440249d1c5bc80a2342f6757c5e2c3f775116086a81e627b29456"
CRED = "Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/aws4_request"
write("oha-no-spaces", (
    "POST / HTTP/1.1\r\nHost: localhost:8080\r\nContent-Length: 52\r\nX-Amz-Date: 20150830T123600Z\r\n"
    f"Authorization: AWS4-HMAC-SHA256 {CRED},SignedHeaders=content-length;host;x-amz-date,Signature={SIG}\r\n\r\n"
    '{"Name": "/app/db/password", "WithDecryption": true}').encode())
write("date-header", (
    "POST / HTTP/1.1\r\nHost: localhost:8080\r\nDate: Sun, 30 Aug 2015 12:36:00 GMT\r\n"
    f"Authorization: AWS4-HMAC-SHA256 {CRED}, SignedHeaders=date;host, Signature={SIG}\r\n\r\n{{}}").encode())
write("spec-vector-b", (
    "POST / HTTP/1.1\r\nContent-Type: application/x-amz-json-1.1\r\nHost: localhost:8080\r\n"
    "X-Amz-Date: 20150830T123600Z\r\nX-Amz-Target: AmazonSSM.GetParameter\r\n"
    f"Authorization: AWS4-HMAC-SHA256 {CRED}, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={SIG}\r\n"
    "X-Kinko-Spaced:   one   two  \r\nX-Kinko-Spaced: three\r\n\r\n"
    '{"Name": "/app/db/password", "WithDecryption": true}').encode())
print("written")
