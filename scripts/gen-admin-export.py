#!/usr/bin/env python3
"""Writes an `aws iam get-account-authorization-details` export of N users,
each holding AdministratorAccess and nothing else, to admins-N.json: the
input of the authorization-details import memory figures in
docs/benchmarks.md."""
import json
import sys

n = int(sys.argv[1])
users = [{"Path": "/", "UserName": f"admin{i:06d}", "UserId": f"AIDA{i:017d}",
          "Arn": f"arn:aws:iam::111122223333:user/admin{i:06d}", "CreateDate": "2021-03-04T10:11:12Z",
          "GroupList": [], "Tags": [],
          "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess",
                                       "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}
         for i in range(n)]
with open(f"admins-{n}.json", "w") as f:
    json.dump({"UserDetailList": users, "GroupDetailList": [], "RoleDetailList": [], "Policies": []}, f)
