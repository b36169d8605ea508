package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hallmark-platform/hallmark/internal/audit"
	"github.com/hallmark-platform/hallmark/internal/auth"
	"github.com/hallmark-platform/hallmark/internal/fielderr"
	"github.com/hallmark-platform/hallmark/internal/store"
	"github.com/hallmark-platform/hallmark/internal/store/storetest"
)

func wantRule(t *testing.T, err error, field, rule string) {
	t.Helper()
	list, ok := fielderr.As(err)
	if !ok {
		t.Fatalf("err = %v, want a field error %s/%s", err, field, rule)
	}
	for _, e := range list {
		if e.Field == field && e.Rule == rule {
			return
		}
	}
	t.Fatalf("err = %v, want %s/%s", err, field, rule)
}

func TestCreateUserRefusesBadInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		ctx := context.Background()
		good := auth.NewUser{Username: "li.wei", Name: "李伟", Password: "correct horse", Role: auth.RoleOfficer,
			RegionCode: region, DepartmentID: deptMarket}
		cases := []struct {
			name        string
			edit        func(*auth.NewUser)
			field, rule string
		}{
			{"username missing", func(u *auth.NewUser) { u.Username = " " }, "username", "rule.required"},
			{"username short", func(u *auth.NewUser) { u.Username = "li" }, "username", "rule.username.format"},
			{"username long", func(u *auth.NewUser) { u.Username = strings.Repeat("a", 33) }, "username", "rule.username.format"},
			{"username charset", func(u *auth.NewUser) { u.Username = "li wei" }, "username", "rule.username.format"},
			{"username chinese", func(u *auth.NewUser) { u.Username = "李伟" }, "username", "rule.username.format"},
			{"password missing", func(u *auth.NewUser) { u.Password = "" }, "password", "rule.required"},
			{"password short", func(u *auth.NewUser) { u.Password = "1234567" }, "password", "rule.password.short"},
			{"password long", func(u *auth.NewUser) { u.Password = strings.Repeat("x", 129) }, "password", "rule.password.long"},
			{"password is username", func(u *auth.NewUser) { u.Username, u.Password = "zhangsan", "ZhangSan" }, "password", "rule.password.same_as_username"},
			{"role", func(u *auth.NewUser) { u.Role = "boss" }, "role", "rule.role.invalid"},
			{"region missing", func(u *auth.NewUser) { u.RegionCode = "" }, "region_code", "rule.required"},
			{"region unknown", func(u *auth.NewUser) { u.RegionCode = "999999" }, "region_code", "rule.region.unknown"},
			{"officer without department", func(u *auth.NewUser) { u.DepartmentID = "" }, "department_id", "rule.required"},
			{"inspector without department", func(u *auth.NewUser) { u.Role, u.DepartmentID = auth.RoleInspector, "" }, "department_id", "rule.required"},
			{"admin without department", func(u *auth.NewUser) { u.Role, u.DepartmentID = auth.RoleAdmin, "" }, "department_id", "rule.required"},
			{"department unknown", func(u *auth.NewUser) { u.DepartmentID = "nope" }, "department_id", "rule.department.unknown"},
			{"department of another region", func(u *auth.NewUser) { u.DepartmentID = deptAway }, "department_id", "rule.department.unknown"},
			{"enterprise without id", func(u *auth.NewUser) { u.Role, u.DepartmentID = auth.RoleEnterprise, "" }, "enterprise_id", "rule.required"},
			{"enterprise with department", func(u *auth.NewUser) { u.Role, u.EnterpriseID = auth.RoleEnterprise, "ent-1" }, "department_id", "rule.role.mismatch"},
			{"institution without id", func(u *auth.NewUser) { u.Role, u.DepartmentID = auth.RoleInstitution, "" }, "institution_id", "rule.required"},
			{"officer with enterprise", func(u *auth.NewUser) { u.EnterpriseID = "ent-1" }, "enterprise_id", "rule.role.mismatch"},
			{"lang", func(u *auth.NewUser) { u.Lang = "fr" }, "lang", "rule.lang"},
			{"name too long", func(u *auth.NewUser) { u.Name = strings.Repeat("名", 65) }, "name", "rule.max_length"},
		}
		for _, c := range cases {
			nu := good
			c.edit(&nu)
			_, err := auth.CreateUser(ctx, db, nu)
			if err == nil {
				t.Fatalf("%s: created", c.name)
			}
			wantRule(t, err, c.field, c.rule)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM users`); n != 0 {
			t.Fatalf("%d users stored from bad input", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log`); n != 0 {
			t.Fatalf("%d audit records from bad input", n)
		}

		u, err := auth.CreateUser(ctx, db, good)
		if err != nil {
			t.Fatal(err)
		}
		if u.Username != "li.wei" || u.Role != auth.RoleOfficer || u.DepartmentID != deptMarket || u.Disabled {
			t.Fatalf("created %+v", u)
		}
		// The same name typed in capitals or full-width letters is the same account.
		for _, name := range []string{"LI.WEI", "ｌｉ.ｗｅｉ"} {
			dup := good
			dup.Username = name
			_, err := auth.CreateUser(ctx, db, dup)
			wantRule(t, err, "username", "rule.username.taken")
		}
		got, err := auth.UserByUsername(ctx, db, " Li.Wei ")
		if err != nil || got.ID != u.ID || got.Name != "李伟" {
			t.Fatalf("by username: %+v, %v", got, err)
		}
		if _, err := auth.GetUser(ctx, db, "missing"); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}

		ent := mustUser(t, db, auth.NewUser{Username: "acme", Role: auth.RoleEnterprise, EnterpriseID: "ent-1"})
		if ent.EnterpriseID != "ent-1" || ent.DepartmentID != "" {
			t.Fatalf("enterprise user %+v", ent)
		}
		mustUser(t, db, auth.NewUser{Username: "lab", Role: auth.RoleInstitution, InstitutionID: "inst-1"})
		mustUser(t, db, auth.NewUser{Username: "expert1", Role: auth.RoleExpert})

		recs, _, err := audit.List(ctx, db, audit.Filter{Entity: "user", Action: "create"})
		if err != nil || len(recs) != 4 {
			t.Fatalf("audit: %d records, %v", len(recs), err)
		}
		for _, r := range recs {
			if strings.Contains(r.After, "argon2") || strings.Contains(r.After, "correct horse") {
				t.Fatalf("audit record holds the password: %s", r.After)
			}
		}
		if _, err := audit.Verify(ctx, db); err != nil {
			t.Fatal(err)
		}
	})
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		ctx := context.Background()
		mustUser(t, db, auth.NewUser{Username: "wang.fang", Name: "王芳"})
		mustUser(t, db, auth.NewUser{Username: "zhao.lei", Name: "Zhao Lei", DepartmentID: deptFarm})
		mustUser(t, db, auth.NewUser{Username: "inspector1", Name: "赵磊", Role: auth.RoleInspector, DepartmentID: deptFarm})
		mustUser(t, db, auth.NewUser{Username: "acme_100", Name: "Acme 100% Dairy", Role: auth.RoleEnterprise, EnterpriseID: "ent-1"})

		names := func(f auth.UserFilter) ([]string, int) {
			t.Helper()
			list, total, err := auth.ListUsers(ctx, db, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, u := range list {
				out = append(out, u.Username)
			}
			return out, total
		}
		check := func(f auth.UserFilter, want string, wantTotal int) {
			t.Helper()
			got, total := names(f)
			if strings.Join(got, ",") != want || total != wantTotal {
				t.Fatalf("%+v: %v (total %d), want %s (total %d)", f, got, total, want, wantTotal)
			}
		}
		check(auth.UserFilter{}, "acme_100,inspector1,wang.fang,zhao.lei", 4)
		check(auth.UserFilter{DepartmentID: deptFarm}, "inspector1,zhao.lei", 2)
		check(auth.UserFilter{Role: auth.RoleInspector}, "inspector1", 1)
		check(auth.UserFilter{EnterpriseID: "ent-1"}, "acme_100", 1)
		check(auth.UserFilter{Q: "ZHAO"}, "zhao.lei", 1)
		check(auth.UserFilter{Q: "ｚｈａｏ"}, "zhao.lei", 1) // full-width typing
		check(auth.UserFilter{Q: "王"}, "wang.fang", 1)
		check(auth.UserFilter{Q: "赵磊"}, "inspector1", 1)
		check(auth.UserFilter{Q: "100%"}, "acme_100", 1)
		check(auth.UserFilter{Q: "_"}, "acme_100", 1) // literal underscore, not a wildcard
		check(auth.UserFilter{Limit: 2, Offset: 2}, "wang.fang,zhao.lei", 4)
	})
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		ctx := context.Background()
		u := mustUser(t, db, auth.NewUser{Username: "wang.fang", Name: "王芳"})
		_, err := auth.UpdateUser(ctx, db, u.ID, auth.UserUpdate{Name: "王芳", Role: auth.RoleEnterprise, RegionCode: region, DepartmentID: deptMarket})
		wantRule(t, err, "enterprise_id", "rule.required")
		if got, _ := auth.GetUser(ctx, db, u.ID); got.Role != auth.RoleOfficer {
			t.Fatalf("bad update changed the role to %s", got.Role)
		}
		got, err := auth.UpdateUser(ctx, db, u.ID, auth.UserUpdate{Name: "王芳芳", Role: auth.RoleInspector, RegionCode: region, DepartmentID: deptFarm})
		if err != nil {
			t.Fatal(err)
		}
		again, _ := auth.GetUser(ctx, db, u.ID)
		if *again != *got || again.Role != auth.RoleInspector || again.DepartmentID != deptFarm || again.Name != "王芳芳" {
			t.Fatalf("after update: %+v / %+v", got, again)
		}
		if list, _, _ := auth.ListUsers(ctx, db, auth.UserFilter{Q: "王芳芳"}); len(list) != 1 {
			t.Fatal("search does not find the new name")
		}
		if _, err := auth.UpdateUser(ctx, db, "missing", auth.UserUpdate{Role: auth.RoleExpert, RegionCode: region}); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}
	})
}

func TestPasswordChangeAndReset(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		ctx := context.Background()
		u := mustUser(t, db, auth.NewUser{Username: "wang.fang", Password: "first password"})

		wantRule(t, auth.SetPassword(ctx, db, u.ID, "not my password", "second password"), "old", "rule.password.wrong")
		wantRule(t, auth.SetPassword(ctx, db, u.ID, "", "second password"), "old", "rule.required")
		wantRule(t, auth.SetPassword(ctx, db, u.ID, "first password", "short"), "new", "rule.password.short")
		wantRule(t, auth.SetPassword(ctx, db, u.ID, "first password", "Wang.Fang"), "new", "rule.password.same_as_username")
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "first password", "10.0.0.1"); err != nil {
			t.Fatalf("refused changes changed the password: %v", err)
		}

		if err := auth.SetPassword(ctx, db, u.ID, "first password", "second password"); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "first password", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("old password still works: %v", err)
		}
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "second password", "10.0.0.1"); err != nil {
			t.Fatalf("new password: %v", err)
		}

		// An administrator resets without knowing the old one.
		admin := mustUser(t, db, auth.NewUser{Username: "office", Role: auth.RoleAdmin, DepartmentID: deptMarket})
		actx := audit.WithActor(ctx, audit.Actor{ID: admin.ID, Name: admin.Username})
		wantRule(t, auth.ResetPassword(actx, db, u.ID, "1234"), "new", "rule.password.short")
		if err := auth.ResetPassword(actx, db, u.ID, "third password"); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "third password", "10.0.0.1"); err != nil {
			t.Fatalf("reset password: %v", err)
		}
		if err := auth.ResetPassword(ctx, db, "missing", "third password"); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("reset of missing user: %v", err)
		}

		recs, _, err := audit.List(ctx, db, audit.Filter{Entity: "user", EntityID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]audit.Record{}
		for _, r := range recs {
			actions[r.Action] = r
			for _, s := range []string{r.Before, r.After} {
				if strings.Contains(s, "argon2") || strings.Contains(s, "password\"") {
					t.Fatalf("audit %s holds a password or hash: %s", r.Action, s)
				}
			}
		}
		if _, ok := actions["password-change"]; !ok {
			t.Fatal("password change not audited")
		}
		if r, ok := actions["password-reset"]; !ok || r.ActorID != admin.ID {
			t.Fatalf("password reset not audited to the admin: %+v", r)
		}
	})
}

func TestLangAndDisabled(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		seed(t, db)
		ctx := context.Background()
		u := mustUser(t, db, auth.NewUser{Username: "wang.fang"})

		wantRule(t, auth.SetLang(ctx, db, u.ID, "de"), "lang", "rule.lang")
		if err := auth.SetLang(ctx, db, u.ID, "en"); err != nil {
			t.Fatal(err)
		}
		if got, _ := auth.GetUser(ctx, db, u.ID); got.Lang != "en" {
			t.Fatalf("lang = %q", got.Lang)
		}
		if err := auth.SetLang(ctx, db, "missing", "en"); !errors.Is(err, fielderr.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}

		plain, _, err := auth.CreateToken(ctx, db, u.ID, "script")
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.SetDisabled(ctx, db, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if got, _ := auth.GetUser(ctx, db, u.ID); !got.Disabled {
			t.Fatal("not disabled")
		}
		_, err = auth.Authenticate(ctx, db, "wang.fang", "correct horse", "10.0.0.1")
		if !errors.Is(err, auth.ErrDisabled) || !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("disabled sign-in: %v", err)
		}
		if _, err := auth.UserForToken(ctx, db, plain); !errors.Is(err, auth.ErrDisabled) {
			t.Fatalf("disabled user's token: %v", err)
		}
		if err := auth.SetDisabled(ctx, db, u.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.Authenticate(ctx, db, "wang.fang", "correct horse", "10.0.0.1"); err != nil {
			t.Fatalf("enabled again: %v", err)
		}
		if _, err := auth.UserForToken(ctx, db, plain); err != nil {
			t.Fatalf("enabled user's token: %v", err)
		}
		recs, _, _ := audit.List(ctx, db, audit.Filter{Entity: "user", EntityID: u.ID})
		seen := map[string]bool{}
		for _, r := range recs {
			seen[r.Action] = true
		}
		for _, a := range []string{"create", "update", "disable", "enable", "sign-in"} {
			if !seen[a] {
				t.Errorf("no %q audit record", a)
			}
		}
	})
}
