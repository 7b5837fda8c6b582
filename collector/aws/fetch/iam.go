package fetch

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/breachpath/breachpath/collector/aws/authdetails"
	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// collectIAM reads principals and policies through
// GetAccountAuthorizationDetails — the same conversion as the offline import
// — and adds what that call does not return: access keys, MFA devices,
// login profiles, password last use, instance profiles without roles, the
// credential report, the password policy and the account summary.
func (s *session) collectIAM(ctx context.Context) error {
	client := iam.NewFromConfig(s.cfg)
	var details authdetails.Details
	p := iam.NewGetAccountAuthorizationDetailsPaginator(client, &iam.GetAccountAuthorizationDetailsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		details.AddPage(page)
	}
	data, err := details.IAMData()
	if err != nil {
		return fmt.Errorf("convert authorization details: %w", err)
	}
	s.inv.IAM = data
	iamData := &s.inv.IAM

	// ListUsers is the only listing that carries PasswordLastUsed.
	lastUsed := map[string]time.Time{}
	up := iam.NewListUsersPaginator(client, &iam.ListUsersInput{})
	for up.HasMorePages() {
		page, err := up.NextPage(ctx)
		if err != nil {
			s.fail(ServiceIAM, "", err)
			break
		}
		for _, u := range page.Users {
			if u.PasswordLastUsed != nil {
				lastUsed[aws.ToString(u.Arn)] = u.PasswordLastUsed.UTC()
			}
		}
	}

	forEach(ctx, len(iamData.Users), s.opts.concurrency(), func(ctx context.Context, i int) {
		u := &iamData.Users[i]
		u.PasswordLastUsed = lastUsed[u.ARN]
		s.userCredentials(ctx, client, u)
	})

	s.instanceProfiles(ctx, client, iamData)
	s.credentialReport(ctx, client, iamData)
	if s.opts.LastAccessed {
		s.lastAccessed(ctx, client, iamData)
	}

	pp, err := client.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	switch {
	case hasCode(err, "NoSuchEntity"):
		iamData.PasswordPolicy = &inventory.PasswordPolicy{None: true}
	case err != nil:
		s.fail(ServiceIAM+"/password-policy", "", err)
	default:
		v := pp.PasswordPolicy
		iamData.PasswordPolicy = &inventory.PasswordPolicy{
			MinimumPasswordLength: aws.ToInt32(v.MinimumPasswordLength), RequireSymbols: v.RequireSymbols,
			RequireNumbers: v.RequireNumbers, RequireUppercaseCharacters: v.RequireUppercaseCharacters,
			RequireLowercaseCharacters: v.RequireLowercaseCharacters, AllowUsersToChangePassword: v.AllowUsersToChangePassword,
			ExpirePasswords: v.ExpirePasswords, MaxPasswordAge: aws.ToInt32(v.MaxPasswordAge),
			PasswordReusePrevention: aws.ToInt32(v.PasswordReusePrevention), HardExpiry: aws.ToBool(v.HardExpiry),
		}
	}

	sum, err := client.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		s.fail(ServiceIAM+"/account-summary", "", err)
	} else {
		counts := map[string]int32{}
		for k, v := range sum.SummaryMap {
			counts[k] = v
		}
		iamData.Summary = &inventory.AccountSummary{
			RootMFAEnabled:        counts["AccountMFAEnabled"] > 0,
			RootAccessKeysPresent: counts["AccountAccessKeysPresent"] > 0,
			Counts:                counts,
		}
	}
	return nil
}

// userCredentials fills a user's access keys, MFA devices and login profile.
func (s *session) userCredentials(ctx context.Context, client *iam.Client, u *inventory.User) {
	kp := iam.NewListAccessKeysPaginator(client, &iam.ListAccessKeysInput{UserName: aws.String(u.Name)})
	u.AccessKeysRead = true
	for kp.HasMorePages() {
		page, err := kp.NextPage(ctx)
		if err != nil {
			s.detail(ServiceIAM, "access-keys", "", u.ARN, err)
			u.AccessKeysRead = false
			break
		}
		for _, k := range page.AccessKeyMetadata {
			key := inventory.AccessKey{ID: aws.ToString(k.AccessKeyId), Status: string(k.Status), CreateDate: timeOf(k.CreateDate)}
			lu, err := client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
			if err != nil {
				s.detail(ServiceIAM, "access-keys", "", u.ARN, err)
			} else if l := lu.AccessKeyLastUsed; l != nil {
				key.LastUsedDate = timeOf(l.LastUsedDate)
				key.LastUsedService, key.LastUsedRegion = naToEmpty(aws.ToString(l.ServiceName)), naToEmpty(aws.ToString(l.Region))
			}
			u.AccessKeys = append(u.AccessKeys, key)
		}
	}
	mp := iam.NewListMFADevicesPaginator(client, &iam.ListMFADevicesInput{UserName: aws.String(u.Name)})
	for mp.HasMorePages() {
		page, err := mp.NextPage(ctx)
		if err != nil {
			s.detail(ServiceIAM, "mfa-devices", "", u.ARN, err)
			break
		}
		for _, d := range page.MFADevices {
			serial := aws.ToString(d.SerialNumber)
			u.MFADevices = append(u.MFADevices, inventory.MFADevice{SerialNumber: serial, EnableDate: timeOf(d.EnableDate), Virtual: strings.HasPrefix(serial, "arn:")})
		}
	}
	_, err := client.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(u.Name)})
	switch {
	case err == nil:
		u.LoginProfile, u.LoginProfileRead = true, true
	case hasCode(err, "NoSuchEntity"):
		u.LoginProfileRead = true
	default:
		s.detail(ServiceIAM, "login-profiles", "", u.ARN, err)
	}
}

// instanceProfiles adds the instance profiles that hold no role (which
// authorization details cannot show) and their tags.
func (s *session) instanceProfiles(ctx context.Context, client *iam.Client, data *inventory.IAMData) {
	have := map[string]int{}
	for i, p := range data.InstanceProfiles {
		have[p.ARN] = i
	}
	p := iam.NewListInstanceProfilesPaginator(client, &iam.ListInstanceProfilesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			s.fail(ServiceIAM, "", err)
			return
		}
		for _, ip := range page.InstanceProfiles {
			arn := aws.ToString(ip.Arn)
			tags := tagMap(ip.Tags, func(t iamtypes.Tag) (*string, *string) { return t.Key, t.Value })
			if i, ok := have[arn]; ok {
				if data.InstanceProfiles[i].Tags == nil {
					data.InstanceProfiles[i].Tags = tags
				}
				continue
			}
			prof := inventory.InstanceProfile{ARN: arn, ID: aws.ToString(ip.InstanceProfileId), Name: aws.ToString(ip.InstanceProfileName),
				Path: aws.ToString(ip.Path), CreateDate: timeOf(ip.CreateDate), Roles: []string{}, Tags: tags}
			for _, r := range ip.Roles {
				prof.Roles = append(prof.Roles, aws.ToString(r.Arn))
			}
			have[arn] = len(data.InstanceProfiles)
			data.InstanceProfiles = append(data.InstanceProfiles, prof)
		}
	}
	data.AllInstanceProfiles = true
}

// credentialReport generates and reads the credential report. Generation
// is asynchronous; the wait is bounded.
func (s *session) credentialReport(ctx context.Context, client *iam.Client, data *inventory.IAMData) {
	const area = ServiceIAM + "/credential-report"
	delay := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		gen, err := client.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			s.fail(area, "", err)
			return
		}
		if gen.State == iamtypes.ReportStateTypeComplete {
			break
		}
		if attempt == 20 {
			s.fail(area, "", errors.New("credential report not ready after 20 polls"))
			return
		}
		select {
		case <-ctx.Done():
			s.fail(area, "", ctx.Err())
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
	rep, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		s.fail(area, "", err)
		return
	}
	rows, err := ParseCredentialReport(rep.Content)
	if err != nil {
		s.fail(area, "", err)
		return
	}
	data.CredentialReport = rows
}

// ParseCredentialReport parses the CSV IAM credential report. Columns are
// found by header name, so added columns do not break it.
func ParseCredentialReport(content []byte) ([]inventory.CredentialReportRow, error) {
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("parse credential report: %w", err)
	}
	if len(records) == 0 {
		return nil, errors.New("parse credential report: empty")
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	for _, need := range []string{"user", "arn"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("parse credential report: no %q column", need)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	tm := func(rec []string, name string) time.Time {
		v := get(rec, name)
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{} // N/A, no_information, not_supported
		}
		return t.UTC()
	}
	bl := func(rec []string, name string) bool { return get(rec, name) == "true" }
	var rows []inventory.CredentialReportRow
	for _, rec := range records[1:] {
		rows = append(rows, inventory.CredentialReportRow{
			User: get(rec, "user"), ARN: get(rec, "arn"), UserCreationTime: tm(rec, "user_creation_time"),
			PasswordEnabled: bl(rec, "password_enabled"), PasswordLastUsed: tm(rec, "password_last_used"),
			PasswordLastChanged: tm(rec, "password_last_changed"), PasswordNextRotation: tm(rec, "password_next_rotation"),
			MFAActive:        bl(rec, "mfa_active"),
			AccessKey1Active: bl(rec, "access_key_1_active"), AccessKey1LastRotated: tm(rec, "access_key_1_last_rotated"),
			AccessKey1LastUsedDate: tm(rec, "access_key_1_last_used_date"), AccessKey1LastUsedService: naToEmpty(get(rec, "access_key_1_last_used_service")),
			AccessKey2Active: bl(rec, "access_key_2_active"), AccessKey2LastRotated: tm(rec, "access_key_2_last_rotated"),
			AccessKey2LastUsedDate: tm(rec, "access_key_2_last_used_date"), AccessKey2LastUsedService: naToEmpty(get(rec, "access_key_2_last_used_service")),
			Cert1Active: bl(rec, "cert_1_active"), Cert2Active: bl(rec, "cert_2_active"),
		})
	}
	return rows, nil
}

func naToEmpty(v string) string {
	if v == "N/A" {
		return ""
	}
	return v
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
