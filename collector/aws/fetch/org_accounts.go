package fetch

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// AccountFailure is an account CollectOrg could not collect.
type AccountFailure struct {
	AccountID string `json:"account_id"`
	Error     string `json:"error"`
}

// OrgResult is the outcome of CollectOrg.
type OrgResult struct {
	Inventories []*inventory.Inventory `json:"inventories"` // one per collected account, by account id
	Failures    []AccountFailure       `json:"failures,omitempty"`
}

// CollectOrg lists the organization's active accounts with cfg (the
// management or a delegated administrator account), assumes
// arn:<partition>:iam::<id>:role/<roleName> in each, and collects every
// account, at most opts.Concurrency at once. An account whose role cannot
// be assumed or whose collection fails is in Failures; the others are still
// returned. The error is non-nil only when the accounts cannot be listed or
// ctx ends.
func CollectOrg(ctx context.Context, cfg aws.Config, roleName string, opts Options) (*OrgResult, error) {
	if roleName == "" {
		return nil, fmt.Errorf("collect organization: empty role name")
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	counter := &callCounter{}
	base := configure(cfg, &opts, counter)
	if base.Region == "" {
		base.Region = "us-east-1"
	}
	id, err := sts.NewFromConfig(base).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("identify management account: %s", reason(err))
	}
	partition := partitionOf(aws.ToString(id.Arn))
	var accounts []orgtypes.Account
	p := organizations.NewListAccountsPaginator(organizations.NewFromConfig(base), &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list organization accounts: %s", reason(err))
		}
		accounts = append(accounts, page.Accounts...)
	}
	log := opts.Logger
	if log == nil {
		log = defaultLogger()
	}
	log.Info("aws organization collection started", "accounts", len(accounts), "role", roleName)

	res := &OrgResult{}
	var mu sync.Mutex
	// Each account's collection fans out itself; split the bound so the
	// total stays near opts.Concurrency.
	perAccount := opts
	perAccount.Concurrency = max(1, opts.concurrency()/2)
	forEach(ctx, len(accounts), max(1, opts.concurrency()/perAccount.Concurrency), func(ctx context.Context, i int) {
		acct := accounts[i]
		accountID := aws.ToString(acct.Id)
		if acct.Status != "" && acct.Status != orgtypes.AccountStatusActive {
			mu.Lock()
			res.Failures = append(res.Failures, AccountFailure{AccountID: accountID, Error: "account status " + string(acct.Status)})
			mu.Unlock()
			return
		}
		roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, accountID, roleName)
		acfg := base.Copy()
		acfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), roleARN,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "breachpath-collector" }))
		// The per-account Collect configures its own counter and retryer on
		// top of the assumed-role credentials.
		acfg.APIOptions = cfg.APIOptions
		inv, err := Collect(ctx, acfg, perAccount)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			res.Failures = append(res.Failures, AccountFailure{AccountID: accountID, Error: fmt.Sprintf("assume %s and collect: %v", roleARN, err)})
			if inv != nil && inv.Partial {
				res.Inventories = append(res.Inventories, inv)
			}
			return
		}
		if inv.AccountID != accountID {
			res.Failures = append(res.Failures, AccountFailure{AccountID: accountID, Error: fmt.Sprintf("assumed %s but landed in account %s", roleARN, inv.AccountID)})
			return
		}
		res.Inventories = append(res.Inventories, inv)
	})
	slices.SortFunc(res.Inventories, func(a, b *inventory.Inventory) int { return compareStrings(a.AccountID, b.AccountID) })
	slices.SortFunc(res.Failures, func(a, b AccountFailure) int { return compareStrings(a.AccountID, b.AccountID) })
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("collect organization: %w", err)
	}
	return res, nil
}
