"""Writes the gate's generated test plans in the `terraform show -json` format
(format_version 1.2: resource_changes with before/after/after_unknown, and the
configuration's expression references), the same shape Terraform writes.

    python3 cmd/breachpath/testdata/gate/plans.py cmd/breachpath/testdata/gate

Plans not written here (public-bucket, passrole, ssh-open, tag-only,
unknown-cidr, close-public-bucket, bench-50) were written by hand.
"""
import json, sys, os
ACCT = "123456789012"; REG = "eu-west-1"
def arn(svc, res, region=REG): return f"arn:aws:{svc}:{region}:{ACCT}:{res}"

def plan(path, resources):
    rcs, cfg = [], []
    for r in resources:
        addr = r["addr"]; typ, name = addr.split(".")[-2:]
        before, after = r.get("before"), r.get("after")
        if before is None and after is not None: act = ["create"]
        elif after is None: act = ["delete"]
        elif before == after and not r.get("unknown"): act = ["no-op"]
        else: act = ["update"]
        rcs.append({"address": addr, "mode": "managed", "type": typ, "name": name, "provider_name": r.get("provider", "registry.terraform.io/hashicorp/aws"),
            "change": {"actions": act, "before": before, "after": after, "after_unknown": r.get("unknown", {}), "before_sensitive": {} if before is not None else False, "after_sensitive": {} if after is not None else False}})
        cfg.append({"address": addr, "mode": "managed", "type": typ, "name": name, "provider_config_key": r.get("pkey", "aws"),
            "expressions": {k: {"references": v} for k, v in r.get("refs", {}).items()}, "schema_version": 0})
    prov = {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws", "expressions": {"region": {"constant_value": REG}}}}
    doc = {"format_version": "1.2", "terraform_version": "1.9.8", "resource_changes": rcs,
           "configuration": {"provider_config": prov, "root_module": {"resources": cfg}}, "applyable": True, "complete": True, "errored": False}
    with open(path, "w") as f:
        json.dump(doc, f, indent=2); f.write("\n")

def same(addr, vals, **kw): return dict(addr=addr, before=vals, after=vals, **kw)

# the network every fixture places its workloads in
def network(route_after=True, route_before=True, subnet="subnet-0app"):
    rt = {"route_table_id": "rtb-0app", "destination_cidr_block": "0.0.0.0/0", "gateway_id": "igw-0main", "id": "r-rtb-0app1080289494"}
    return [
        same("aws_vpc.main", {"id": "vpc-0main", "arn": arn("ec2", "vpc/vpc-0main"), "cidr_block": "10.0.0.0/16", "tags": {}}),
        same("aws_subnet.app", {"id": subnet, "arn": arn("ec2", "subnet/"+subnet), "vpc_id": "vpc-0main", "cidr_block": "10.0.1.0/24", "map_public_ip_on_launch": False, "tags": {}}, refs={"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"]}),
        same("aws_internet_gateway.main", {"id": "igw-0main", "arn": arn("ec2", "internet-gateway/igw-0main"), "vpc_id": "vpc-0main", "tags": {}}, refs={"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"]}),
        same("aws_route_table.app", {"id": "rtb-0app", "arn": arn("ec2", "route-table/rtb-0app"), "vpc_id": "vpc-0main", "route": [], "tags": {}}, refs={"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"]}),
        same("aws_route_table_association.app", {"id": "rtbassoc-0app", "subnet_id": subnet, "route_table_id": "rtb-0app"}, refs={"subnet_id": ["aws_subnet.app.id", "aws_subnet.app"], "route_table_id": ["aws_route_table.app.id", "aws_route_table.app"]}),
        dict(addr="aws_route.internet", before=rt if route_before else None, after=rt if route_after else None,
             refs={"route_table_id": ["aws_route_table.app.id", "aws_route_table.app"], "gateway_id": ["aws_internet_gateway.main.id", "aws_internet_gateway.main"]}),
    ]

def policy(*stmts): return json.dumps({"Version": "2012-10-17", "Statement": list(stmts)})
READ_LEDGER = policy({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::acme-ledger", "arn:aws:s3:::acme-ledger/*"]})
EC2_TRUST = policy({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
LEDGER = same("aws_s3_bucket.ledger", {"bucket": "acme-ledger", "arn": "arn:aws:s3:::acme-ledger", "id": "acme-ledger", "tags": {"data-classification": "confidential"}})

def role(res, name, with_policy=True, profile=True):
    out = [same(f"aws_iam_role.{res}", {"name": name, "path": "/", "arn": f"arn:aws:iam::{ACCT}:role/{name}", "assume_role_policy": EC2_TRUST, "inline_policy": [], "managed_policy_arns": [], "tags": {}})]
    if with_policy:
        out.append(same(f"aws_iam_role_policy.{res}_ledger", {"role": name, "name": "read-ledger", "policy": READ_LEDGER}, refs={"role": [f"aws_iam_role.{res}.name", f"aws_iam_role.{res}"]}))
    if profile:
        out.append(same(f"aws_iam_instance_profile.{res}", {"name": name, "path": "/", "arn": f"arn:aws:iam::{ACCT}:instance-profile/{name}", "role": name, "tags": {}}, refs={"role": [f"aws_iam_role.{res}.name", f"aws_iam_role.{res}"]}))
    return out

def sg(res, sgid, ingress):
    return same(f"aws_security_group.{res}", {"id": sgid, "arn": arn("ec2", "security-group/"+sgid), "name": res, "vpc_id": "vpc-0main", "ingress": ingress, "egress": [], "tags": {}})

def rule(port, cidr): return {"from_port": port, "to_port": port, "protocol": "tcp", "cidr_blocks": [cidr], "ipv6_cidr_blocks": []}

def instance(res, iid, sgid, profile, subnet="subnet-0app", ip="203.0.113.10"):
    return same(f"aws_instance.{res}", {"id": iid, "arn": arn("ec2", "instance/"+iid), "ami": "ami-0abc", "instance_type": "t3.micro", "subnet_id": subnet,
        "vpc_security_group_ids": [sgid], "iam_instance_profile": profile, "associate_public_ip_address": True, "public_ip": ip, "private_ip": "10.0.1.10",
        "metadata_options": [{"http_tokens": "required"}], "tags": {}},
        refs={"subnet_id": ["aws_subnet.app.id", "aws_subnet.app"]})

out = sys.argv[1]
app = role("app", "app-server") + [sg("app", "sg-0app", [rule(22, "0.0.0.0/0")]), instance("app", "i-0app", "sg-0app", "app-server"), LEDGER]
plan(os.path.join(out, "route-to-igw.plan.json"), network(route_before=False) + app)
plan(os.path.join(out, "route-removed.plan.json"), network(route_after=False) + app)

# RDS: an instance made publicly accessible behind an open group in a routed subnet
def rds(before_public, after_public):
    db = {"identifier": "customers", "arn": arn("rds", "db:customers"), "engine": "postgres", "storage_encrypted": True, "vpc_security_group_ids": ["sg-0db"],
          "db_subnet_group_name": "main", "port": 5432, "iam_database_authentication_enabled": False, "tags": {"data-classification": "confidential"}}
    b, a = dict(db, publicly_accessible=before_public), dict(db, publicly_accessible=after_public)
    rtbl = {"id": "rtb-0app", "arn": arn("ec2", "route-table/rtb-0app"), "vpc_id": "vpc-0main", "route": [{"cidr_block": "0.0.0.0/0", "gateway_id": "igw-0main", "ipv6_cidr_block": "", "nat_gateway_id": ""}], "tags": {}}
    net = [r for r in network() if r["addr"] not in ("aws_route.internet", "aws_route_table.app")] + [same("aws_route_table.app", rtbl)]
    return net + [
        same("aws_db_subnet_group.main", {"name": "main", "subnet_ids": ["subnet-0app"]}, refs={"subnet_ids": ["aws_subnet.app.id", "aws_subnet.app"]}),
        sg("db", "sg-0db", [rule(5432, "0.0.0.0/0")]),
        dict(addr="aws_db_instance.customers", before=b, after=a, refs={"db_subnet_group_name": ["aws_db_subnet_group.main.name", "aws_db_subnet_group.main"]}),
    ]
plan(os.path.join(out, "rds-public.plan.json"), rds(False, True))
plan(os.path.join(out, "rds-private.plan.json"), rds(True, False))

# Secrets Manager and SQS: resource policies that admit anyone
secret = {"name": "prod/api-key", "arn": arn("secretsmanager", "secret:prod/api-key-AbCdEf"), "kms_key_id": "", "policy": "", "tags": {}}
plan(os.path.join(out, "secret-public.plan.json"), [
    same("aws_secretsmanager_secret.api", secret),
    dict(addr="aws_secretsmanager_secret_policy.api", after={"secret_arn": secret["arn"], "policy": policy({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})},
         refs={"secret_arn": ["aws_secretsmanager_secret.api.arn", "aws_secretsmanager_secret.api"]}),
])
queue = {"name": "orders", "arn": arn("sqs", "orders"), "url": f"https://sqs.{REG}.amazonaws.com/{ACCT}/orders", "id": f"https://sqs.{REG}.amazonaws.com/{ACCT}/orders", "policy": "", "tags": {"data-classification": "confidential"}}
qpol = {"queue_url": queue["url"], "policy": policy({"Effect": "Allow", "Principal": "*", "Action": "sqs:ReceiveMessage", "Resource": queue["arn"]})}
plan(os.path.join(out, "queue-public.plan.json"), [same("aws_sqs_queue.orders", queue), dict(addr="aws_sqs_queue_policy.orders", after=qpol, refs={"queue_url": ["aws_sqs_queue.orders.id", "aws_sqs_queue.orders"]})])
plan(os.path.join(out, "queue-private.plan.json"), [same("aws_sqs_queue.orders", queue), dict(addr="aws_sqs_queue_policy.orders", before=qpol, refs={"queue_url": ["aws_sqs_queue.orders.id", "aws_sqs_queue.orders"]})])

# Store-only context: the stored estate (all created; gate tests store its planned side)
web = role("web", "web-server", with_policy=False) + role("worker", "worker") + role("batch", "batch")
rtbl = {"id": "rtb-0app", "arn": arn("ec2", "route-table/rtb-0app"), "vpc_id": "vpc-0main", "route": [{"cidr_block": "0.0.0.0/0", "gateway_id": "igw-0main", "ipv6_cidr_block": "", "nat_gateway_id": ""}], "tags": {}}
net = [r for r in network() if r["addr"] not in ("aws_route.internet", "aws_route_table.app")] + [same("aws_route_table.app", rtbl)]
estate = net + web + [sg("web", "sg-0web", [rule(443, "0.0.0.0/0")]), sg("worker", "sg-0worker", [rule(443, "10.0.0.0/8")]),
    instance("web", "i-0web", "sg-0web", "web-server"), instance("worker", "i-0worker", "sg-0worker", "worker", ip="203.0.113.11"), LEDGER]
# a public database behind a group that admits only the VPC
estate += [same("aws_db_subnet_group.main", {"name": "main", "subnet_ids": ["subnet-0app"]}, refs={"subnet_ids": ["aws_subnet.app.id", "aws_subnet.app"]}),
    sg("db", "sg-0db", [rule(5432, "10.0.0.0/8")]),
    same("aws_db_instance.orders", {"identifier": "orders", "arn": arn("rds", "db:orders"), "engine": "postgres", "storage_encrypted": True, "publicly_accessible": True,
        "vpc_security_group_ids": ["sg-0db"], "db_subnet_group_name": "main", "port": 5432, "iam_database_authentication_enabled": False,
        "tags": {"data-classification": "confidential"}}, refs={"db_subnet_group_name": ["aws_db_subnet_group.main.name", "aws_db_subnet_group.main"]})]
for r in estate:
    r["before"] = None
plan(os.path.join(out, "store-estate.plan.json"), estate)
plan(os.path.join(out, "store-role-policy.plan.json"), [dict(addr="aws_iam_role_policy.web_ledger", after={"role": "web-server", "name": "read-ledger", "policy": READ_LEDGER})])
plan(os.path.join(out, "store-sg-rule.plan.json"), [dict(addr="aws_vpc_security_group_ingress_rule.worker_ssh",
    after={"security_group_id": "sg-0worker", "ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0"}, unknown={"id": True, "arn": True})])
plan(os.path.join(out, "store-db-rule.plan.json"), [dict(addr="aws_security_group_rule.db_public",
    after={"type": "ingress", "security_group_id": "sg-0db", "protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_blocks": ["0.0.0.0/0"]}, unknown={"id": True})])
plan(os.path.join(out, "store-profile.plan.json"), [
    dict(addr="aws_security_group.batch", after={"name": "batch", "vpc_id": "vpc-0main", "ingress": [rule(22, "0.0.0.0/0")], "egress": [], "tags": {}}, unknown={"id": True, "arn": True}),
    dict(addr="aws_instance.batch", after={"ami": "ami-0abc", "instance_type": "t3.micro", "subnet_id": "subnet-0app", "iam_instance_profile": "batch", "associate_public_ip_address": True,
         "metadata_options": [{"http_tokens": "required"}], "tags": {}}, unknown={"id": True, "arn": True, "public_ip": True, "vpc_security_group_ids": True},
         refs={"vpc_security_group_ids": ["aws_security_group.batch.id", "aws_security_group.batch"]}),
])

# ---- azurerm ----
SUB = "11111111-2222-3333-4444-555555555555"
RG = f"/subscriptions/{SUB}/resourceGroups/app"
def az(addr, vals, **kw): return dict(provider="registry.terraform.io/hashicorp/azurerm", pkey="azurerm", addr=addr, before=vals, after=vals, **kw)
def azure(rule_before, rule_after, container_before="private", container_after="private"):
    nsg_id = RG + "/providers/Microsoft.Network/networkSecurityGroups/app-nsg"
    uai_id = RG + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-id"
    st_id = RG + "/providers/Microsoft.Storage/storageAccounts/acmeledger"
    rule = {"name": "ssh", "resource_group_name": "app", "network_security_group_name": "app-nsg", "priority": 100, "direction": "Inbound",
            "access": "Allow", "protocol": "Tcp", "source_port_range": "*", "destination_port_range": "22", "source_address_prefix": "*", "destination_address_prefix": "*"}
    out = [
        az("azurerm_network_security_group.app", {"id": nsg_id, "name": "app-nsg", "resource_group_name": "app", "location": "westeurope", "security_rule": [], "tags": {}}),
        dict(provider="registry.terraform.io/hashicorp/azurerm", pkey="azurerm", addr="azurerm_network_security_rule.ssh",
             before=rule if rule_before else None, after=rule if rule_after else None,
             refs={"network_security_group_name": ["azurerm_network_security_group.app.name", "azurerm_network_security_group.app"]}),
        az("azurerm_public_ip.app", {"id": RG + "/providers/Microsoft.Network/publicIPAddresses/app-ip", "name": "app-ip", "resource_group_name": "app", "location": "westeurope", "sku": "Standard", "ip_address": "20.0.0.10"}),
        az("azurerm_network_interface.app", {"id": RG + "/providers/Microsoft.Network/networkInterfaces/app-nic", "name": "app-nic", "resource_group_name": "app", "location": "westeurope",
            "ip_configuration": [{"name": "internal", "subnet_id": RG + "/providers/Microsoft.Network/virtualNetworks/vnet/subnets/app", "private_ip_address": "10.0.1.4",
                                  "public_ip_address_id": RG + "/providers/Microsoft.Network/publicIPAddresses/app-ip"}]}),
        az("azurerm_network_interface_security_group_association.app", {"id": "assoc", "network_interface_id": RG + "/providers/Microsoft.Network/networkInterfaces/app-nic", "network_security_group_id": nsg_id}),
        az("azurerm_user_assigned_identity.app", {"id": uai_id, "name": "app-id", "resource_group_name": "app", "location": "westeurope", "principal_id": "aaaaaaaa-0000-0000-0000-000000000001", "client_id": "c1"}),
        az("azurerm_linux_virtual_machine.app", {"id": RG + "/providers/Microsoft.Compute/virtualMachines/app-vm", "name": "app-vm", "resource_group_name": "app", "location": "westeurope",
            "network_interface_ids": [RG + "/providers/Microsoft.Network/networkInterfaces/app-nic"], "disable_password_authentication": True,
            "identity": [{"type": "UserAssigned", "identity_ids": [uai_id], "principal_id": ""}]}),
        az("azurerm_storage_account.ledger", {"id": st_id, "name": "acmeledger", "resource_group_name": "app", "location": "westeurope", "allow_nested_items_to_be_public": True,
            "public_network_access_enabled": True, "shared_access_key_enabled": False, "tags": {"data-classification": "confidential"}}),
        az("azurerm_role_assignment.app_reads_ledger", {"id": st_id + "/providers/Microsoft.Authorization/roleAssignments/0b1c", "name": "0b1c", "scope": st_id,
            "role_definition_name": "Storage Blob Data Reader", "principal_id": "aaaaaaaa-0000-0000-0000-000000000001", "principal_type": "ServicePrincipal"}),
        dict(provider="registry.terraform.io/hashicorp/azurerm", pkey="azurerm", addr="azurerm_storage_container.reports",
             before={"name": "reports", "storage_account_id": st_id, "container_access_type": container_before},
             after={"name": "reports", "storage_account_id": st_id, "container_access_type": container_after},
             refs={"storage_account_id": ["azurerm_storage_account.ledger.id", "azurerm_storage_account.ledger"]}),
    ]
    return out
plan(os.path.join(out, "azure-nsg-open.plan.json"), azure(False, True))
plan(os.path.join(out, "azure-nsg-closed.plan.json"), azure(True, False))
plan(os.path.join(out, "azure-public-container.plan.json"), azure(False, False, "private", "blob"))

# ---- google ----
PRJ = "acme-prod"
def g(addr, vals, **kw): return dict(provider="registry.terraform.io/hashicorp/google", pkey="google", addr=addr, before=vals, after=vals, **kw)
def gcp(fw_before, fw_after, member_before=None, member_after=None):
    fw = {"name": "allow-ssh", "project": PRJ, "network": "default", "direction": "INGRESS", "priority": 1000, "source_ranges": ["0.0.0.0/0"],
          "target_tags": ["ssh"], "allow": [{"protocol": "tcp", "ports": ["22"]}], "deny": [], "disabled": False}
    sa = "app-vm@" + PRJ + ".iam.gserviceaccount.com"
    out = [
        g("google_service_account.app", {"account_id": "app-vm", "project": PRJ, "email": sa}),
        g("google_compute_instance.app", {"name": "app-vm", "project": PRJ, "zone": "europe-west1-b", "tags": ["ssh"], "labels": {},
            "network_interface": [{"network": "default", "subnetwork": "default", "network_ip": "10.132.0.2", "access_config": [{"nat_ip": "34.1.2.3"}]}],
            "service_account": [{"email": sa, "scopes": ["https://www.googleapis.com/auth/cloud-platform"]}], "metadata": {}}),
        dict(provider="registry.terraform.io/hashicorp/google", pkey="google", addr="google_compute_firewall.ssh", before=fw if fw_before else None, after=fw if fw_after else None),
        g("google_storage_bucket.ledger", {"name": "acme-ledger-prod", "project": PRJ, "location": "EU", "uniform_bucket_level_access": True, "public_access_prevention": "inherited",
            "labels": {"data-classification": "confidential"}}),
        g("google_storage_bucket_iam_member.app_reads", {"bucket": "acme-ledger-prod", "role": "roles/storage.objectViewer", "member": "serviceAccount:" + sa}),
        g("google_secret_manager_secret.api", {"secret_id": "api-key", "project": PRJ, "labels": {"data-classification": "restricted"}}),
    ]
    pub = lambda m: {"secret_id": "api-key", "project": PRJ, "role": "roles/secretmanager.secretAccessor", "member": m} if m else None
    out.append(dict(provider="registry.terraform.io/hashicorp/google", pkey="google", addr="google_secret_manager_secret_iam_member.public",
                    before=pub(member_before), after=pub(member_after)))
    return [r for r in out if r["before"] is not None or r["after"] is not None]
plan(os.path.join(out, "gcp-firewall-open.plan.json"), gcp(False, True))
plan(os.path.join(out, "gcp-firewall-closed.plan.json"), gcp(True, False))
plan(os.path.join(out, "gcp-public-secret.plan.json"), gcp(False, False, None, "allUsers"))

# KMS key policy opened to anyone; an RDS snapshot shared with every account
key = {"key_id": "1234abcd-12ab-34cd-56ef-1234567890ab", "arn": arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab"), "description": "ledger",
       "is_enabled": True, "enable_key_rotation": True, "policy": "", "tags": {"data-classification": "confidential"}}
kpol = {"key_id": key["key_id"], "policy": policy({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})}
plan(os.path.join(out, "kms-public.plan.json"), [same("aws_kms_key.ledger", key), dict(addr="aws_kms_key_policy.ledger", after=kpol, refs={"key_id": ["aws_kms_key.ledger.key_id", "aws_kms_key.ledger"]})])
snap = {"db_snapshot_identifier": "customers-final", "db_snapshot_arn": arn("rds", "snapshot:customers-final"), "db_instance_identifier": "customers",
        "encrypted": False, "shared_accounts": [], "tags": {"data-classification": "confidential"}}
plan(os.path.join(out, "rds-snapshot-public.plan.json"), [dict(addr="aws_db_snapshot.final", before=snap, after=dict(snap, shared_accounts=["all"]))])
