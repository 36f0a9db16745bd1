// Package provider is the Terraform glue of terraform-provider-protector:
// schemas, models and CRUD that call the engine, and diagnostics worded in
// Terraform's terms. It knows no HTTP and holds no protection-group rule:
// limits, formats, blocks and guidance are engine functions it calls.
package provider

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

var _ provider.Provider = (*protectorProvider)(nil)

type protectorProvider struct {
	version string
}

// New returns the provider factory main.go serves.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &protectorProvider{version: version}
	}
}

// providerData is what Configure hands to every resource: the one engine of
// this provider instance (which also holds the provider block's FlashArray
// tokens a replication policy falls back to).
type providerData struct {
	engine *engine.Engine
}

type providerModel struct {
	CloudsYAML          types.String `tfsdk:"clouds_yaml"`
	Sites               types.Map    `tfsdk:"sites"`
	FlashArrays         types.Map    `tfsdk:"flasharrays"`
	FlashArrayCAFile    types.String `tfsdk:"flasharray_ca_file"`
	FlashArrayInsecure  types.Bool   `tfsdk:"flasharray_insecure"`
	MaxRetries          types.Int64  `tfsdk:"max_retries"`
	RequestTimeout      types.String `tfsdk:"request_timeout"`
	ReachabilityTimeout types.String `tfsdk:"reachability_timeout"`
}

// credentialsModel is how to log in to one cloud: the fields of a
// clouds.yaml entry, with the names terraform-provider-openstack uses.
type credentialsModel struct {
	Cloud                       types.String `tfsdk:"cloud"`
	AuthURL                     types.String `tfsdk:"auth_url"`
	Region                      types.String `tfsdk:"region"`
	Username                    types.String `tfsdk:"username"`
	UserID                      types.String `tfsdk:"user_id"`
	Password                    types.String `tfsdk:"password"`
	ProjectName                 types.String `tfsdk:"project_name"`
	ProjectID                   types.String `tfsdk:"project_id"`
	UserDomainName              types.String `tfsdk:"user_domain_name"`
	ProjectDomainName           types.String `tfsdk:"project_domain_name"`
	ApplicationCredentialID     types.String `tfsdk:"application_credential_id"`
	ApplicationCredentialName   types.String `tfsdk:"application_credential_name"`
	ApplicationCredentialSecret types.String `tfsdk:"application_credential_secret"`
	CACertFile                  types.String `tfsdk:"cacert_file"`
	Insecure                    types.Bool   `tfsdk:"insecure"`
}

// siteConnectionModel is one entry of the provider's sites map: the site's
// credentials and, optionally, an admin credential of the same shape.
type siteConnectionModel struct {
	credentialsModel
	Admin *credentialsModel `tfsdk:"admin"`
}

func (m credentialsModel) toEngine() engine.Credentials {
	return engine.Credentials{
		Cloud:                       m.Cloud.ValueString(),
		AuthURL:                     m.AuthURL.ValueString(),
		Region:                      m.Region.ValueString(),
		Username:                    m.Username.ValueString(),
		UserID:                      m.UserID.ValueString(),
		Password:                    m.Password.ValueString(),
		ProjectName:                 m.ProjectName.ValueString(),
		ProjectID:                   m.ProjectID.ValueString(),
		UserDomainName:              m.UserDomainName.ValueString(),
		ProjectDomainName:           m.ProjectDomainName.ValueString(),
		ApplicationCredentialID:     m.ApplicationCredentialID.ValueString(),
		ApplicationCredentialName:   m.ApplicationCredentialName.ValueString(),
		ApplicationCredentialSecret: m.ApplicationCredentialSecret.ValueString(),
		CACertFile:                  m.CACertFile.ValueString(),
		Insecure:                    m.Insecure.ValueBool(),
	}
}

type flashArrayModel struct {
	URL      types.String `tfsdk:"url"`
	APIToken types.String `tfsdk:"api_token"`
}

func (p *protectorProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "protector"
	resp.Version = p.version
}

// credentialAttributes are the login fields shared by a site and its admin
// credential.
func credentialAttributes(who string) map[string]schema.Attribute {
	str := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, MarkdownDescription: desc}
	}
	secret := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Optional: true, Sensitive: true, MarkdownDescription: desc}
	}
	return map[string]schema.Attribute{
		"cloud": str("Name of the `clouds.yaml` entry " + who + " logs in with. Fields set here override the entry's."),
		"auth_url": schema.StringAttribute{
			Optional:            true,
			MarkdownDescription: "Keystone v3 URL, e.g. `http://site-a-controller:5000/v3`. Set it (with the credential fields) to log in without `clouds.yaml`.",
			Validators:          []validator.String{authURL()},
		},
		"region":                        str("Region whose endpoints are used (the entry's `region_name`)."),
		"username":                      str("Keystone user name."),
		"user_id":                       str("Keystone user ID (instead of `username`)."),
		"password":                      secret("Password of the user. Never shown in plan output or logs."),
		"project_name":                  str("Project to scope the token to. Protection groups, their consistency groups and the metadata live in this project."),
		"project_id":                    str("Project ID to scope the token to (instead of `project_name`)."),
		"user_domain_name":              str("Domain of the user (default `Default`)."),
		"project_domain_name":           str("Domain of the project (default `Default`)."),
		"application_credential_id":     str("ID of a Keystone application credential (instead of user and password)."),
		"application_credential_name":   str("Name of an application credential of `username`/`user_id`."),
		"application_credential_secret": secret("Secret of the application credential. Never shown in plan output or logs."),
		"cacert_file": str("PEM bundle of the CA certificates that signed the site's API certificates (Keystone and every " +
			"endpoint of its catalog), used instead of the system roots, like `cacert` in `clouds.yaml`. Default: the entry's " +
			"`cacert`, else the system roots."),
		"insecure": schema.BoolAttribute{Optional: true, MarkdownDescription: "Skip TLS certificate checks of the site's APIs " +
			"(like `verify: false` in `clouds.yaml`). For test clouds only: every plan warns while it is set. Default `false`: " +
			"certificates are verified."},
	}
}

func (p *protectorProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	siteAttrs := credentialAttributes("the site")
	siteAttrs["cloud"] = schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "Name of the `clouds.yaml` entry of the site. Default: the key of this entry in `sites` (the guide's " +
			"Step 4 names the entries `site-a` and `site-b`), unless `auth_url` is set. Fields set here override the entry's.",
	}
	siteAttrs["admin"] = schema.SingleNestedAttribute{
		Optional: true,
		MarkdownDescription: "An admin credential of the site, used **only** for the reads Cinder and Nova allow to admins: a volume type's " +
			"`replication_type` extra spec (eligibility) and a volume's backend host (`os-vol-host-attr:host`). " +
			"Without it those checks are reported as warnings at plan and left to Cinder at apply. Fields not set " +
			"(no `cloud` and no `auth_url`) are taken from the site's own entry, so `admin = { username = \"admin\", password = \"...\" }` works.",
		Attributes: credentialAttributes("the admin credential"),
	}

	resp.Schema = schema.Schema{
		MarkdownDescription: "The `protector` provider manages Site Recovery for OpenStack protection groups (PGs) **directly** " +
			"against two OpenStack clouds (Keystone, Nova, Cinder, object storage) and two Pure Storage FlashArrays (REST 2.x); " +
			"no Protector service is involved.\n\n" +
			"Each site is reached through its `clouds.yaml` entry (the guide's Step 4) or the credentials given in `sites`. " +
			"Eligibility of volume types and reachability of the peer site are checked at **plan**, so that a change the guide " +
			"would refuse (\"volume type not eligible for replication\", \"volume type mismatch\", \"remote site unreachable\") " +
			"fails before anything is changed.\n\n" +
			"**Secrets.** Passwords, application-credential secrets and FlashArray tokens are sensitive: never shown in plan " +
			"output and masked in the provider's logs; the provider block never reaches the state. Give them through " +
			"`clouds.yaml`, or through variables declared `ephemeral = true` (OpenTofu and Terraform 1.11 and later): " +
			"OpenTofu writes a literal of the configuration and the value of every non-ephemeral variable, sensitive or not, " +
			"into a saved plan (`show -json`). Certificates of the sites and arrays are verified against the system roots " +
			"unless `cacert_file` / `flasharray_ca_file` give a CA bundle; `insecure` switches verification off, with a warning " +
			"in every plan.",
		Attributes: map[string]schema.Attribute{
			"clouds_yaml": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Path of the `clouds.yaml` file. Default: `OS_CLIENT_CONFIG_FILE`, else the standard locations " +
					"(`./clouds.yaml`, `~/.config/openstack/clouds.yaml`, `/etc/openstack/clouds.yaml`).",
			},
			"sites": schema.MapNestedAttribute{
				Optional: true,
				MarkdownDescription: "How to reach each site, keyed by site name. A site not listed here is reached through the " +
					"`clouds.yaml` entry of its name. The sites listed are also where protection groups are searched for by id " +
					fmt.Sprintf("(refresh and import). Keys are site names: 1 to %d letters, digits, `.`, `_` or `-`.", engine.MaxSiteNameLength),
				NestedObject: schema.NestedAttributeObject{Attributes: siteAttrs},
				Validators:   []validator.Map{mapvalidator.KeysAre(siteName())},
			},
			"flasharrays": schema.MapNestedAttribute{
				Optional: true,
				MarkdownDescription: "FlashArray API tokens, keyed by any label. A replication policy that does not set its own " +
					"`primary_fa_token` / `secondary_fa_token` uses the token of the entry with the same `url`; so do member " +
					"changes of a group with a policy, and refresh after import (import cannot read tokens back).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"url": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "HTTPS management URL of the array, as the policy names it.",
						Validators:          []validator.String{arrayURL()},
					},
					"api_token": schema.StringAttribute{
						Required:            true,
						Sensitive:           true,
						MarkdownDescription: "API token of the array. Never shown in plan output or logs.",
					},
				}},
			},
			"flasharray_ca_file": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "PEM bundle added to the system roots when talking to FlashArrays (arrays usually have self-signed certificates).",
			},
			"flasharray_insecure": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Skip certificate checks of the FlashArrays. For test arrays only: every plan warns while it is set. Default `false`: certificates are verified against the system roots and `flasharray_ca_file`.",
			},
			"max_retries": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("How many times a request that failed with 429, 5xx or a transport error is retried (with backoff, honouring `Retry-After`); `0` retries nothing. Default `%d`.", engine.DefaultMaxRetries),
				Validators:          []validator.Int64{int64validator.Between(0, engine.MaxRetriesLimit)},
			},
			"request_timeout": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: fmt.Sprintf("Timeout of one HTTP request, as a Go duration (`30s`, `2m`). Default `%q`.", engine.DefaultRequestTimeout.String()),
				Validators:          []validator.String{durationValidator{}},
			},
			"reachability_timeout": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("How long a site has to answer a reachability check, as a Go duration (`5s`, `30s`). "+
					"The checks that both sites answer before a change (at plan and at apply), and the refresh's reads of the peer site, "+
					"are bounded by it instead of `request_timeout` times `max_retries`: a site that does not answer within it fails the "+
					"plan with \"remote site unreachable\", naming the site and the endpoint that did not answer. A refused or dropped "+
					"connection is such a check's answer and is not retried. Default `%q`.", engine.DefaultReachabilityTimeout.String()),
				Validators: []validator.String{durationValidator{}},
			},
		},
	}
}

func (p *protectorProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	cfg, diags := m.engineConfig(ctx, p.version)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	eng := engine.New(cfg)
	eng.Prewarm(ctx)
	data := &providerData{engine: eng}
	resp.ResourceData = data
	resp.DataSourceData = data
}

// engineConfig maps the provider block to engine.Config, the FlashArray
// tokens by canonical URL among it.
func (m providerModel) engineConfig(ctx context.Context, version string) (engine.Config, diag.Diagnostics) {
	var diags diag.Diagnostics
	for name, v := range map[string]interface{ IsUnknown() bool }{
		"clouds_yaml": m.CloudsYAML, "sites": m.Sites, "flasharrays": m.FlashArrays,
		"flasharray_ca_file": m.FlashArrayCAFile, "flasharray_insecure": m.FlashArrayInsecure,
		"max_retries": m.MaxRetries, "request_timeout": m.RequestTimeout, "reachability_timeout": m.ReachabilityTimeout,
	} {
		if v.IsUnknown() {
			diags.AddAttributeError(path.Root(name), "Provider setting not known at plan",
				"The protector provider checks protection groups at plan, so "+name+" must be known then: do not derive it from a resource created in the same run.")
		}
	}
	if diags.HasError() {
		return engine.Config{}, diags
	}

	cfg := engine.Config{
		CloudsYAMLPath: m.CloudsYAML.ValueString(),
		Sites:          map[string]engine.SiteConnection{},
		ArrayInsecure:  m.FlashArrayInsecure.ValueBool(),
		MaxRetries:     engine.DefaultMaxRetries,
		RequestTimeout: engine.DefaultRequestTimeout,
		UserAgent:      "terraform-provider-protector/" + version,
	}
	if !m.MaxRetries.IsNull() {
		cfg.MaxRetries = int(m.MaxRetries.ValueInt64())
	}
	if !m.RequestTimeout.IsNull() {
		d, err := time.ParseDuration(m.RequestTimeout.ValueString())
		if err != nil || d <= 0 {
			diags.AddAttributeError(path.Root("request_timeout"), "Invalid request_timeout",
				fmt.Sprintf("%q is not a positive duration such as \"60s\" or \"2m\".", m.RequestTimeout.ValueString()))
		}
		cfg.RequestTimeout = d
	}
	if !m.ReachabilityTimeout.IsNull() {
		d, err := time.ParseDuration(m.ReachabilityTimeout.ValueString())
		if err != nil || d <= 0 {
			diags.AddAttributeError(path.Root("reachability_timeout"), "Invalid reachability_timeout",
				fmt.Sprintf("%q is not a positive duration such as \"5s\" or \"30s\".", m.ReachabilityTimeout.ValueString()))
		}
		cfg.ReachabilityTimeout = d
	}
	if !m.FlashArrayCAFile.IsNull() && m.FlashArrayCAFile.ValueString() != "" {
		pem, err := os.ReadFile(m.FlashArrayCAFile.ValueString())
		if err != nil {
			diags.AddAttributeError(path.Root("flasharray_ca_file"), "Cannot read flasharray_ca_file", err.Error())
		}
		cfg.ArrayCACertPEM = pem
	}

	if !m.Sites.IsNull() {
		sites := map[string]siteConnectionModel{}
		diags.Append(m.Sites.ElementsAs(ctx, &sites, false)...)
		for name, s := range sites {
			conn := engine.SiteConnection{Credentials: s.toEngine()}
			if s.Admin != nil {
				admin := s.Admin.toEngine()
				conn.Admin = &admin
			}
			cfg.Sites[name] = conn
		}
	}

	cfg.ArrayTokens = map[string]string{}
	if !m.FlashArrays.IsNull() {
		arrays := map[string]flashArrayModel{}
		diags.Append(m.FlashArrays.ElementsAs(ctx, &arrays, false)...)
		for label, a := range arrays {
			if problem := engine.AddArrayToken(cfg.ArrayTokens, a.URL.ValueString(), a.APIToken.ValueString()); problem != "" {
				diags.AddAttributeError(path.Root("flasharrays").AtMapKey(label), "Two tokens for one FlashArray", problem)
			}
		}
	}
	cfg.Logger = newTflogLogger(secretsOf(cfg))
	diags.Append(insecureWarnings(cfg)...)
	return cfg, diags
}

// insecureWarnings says, in every plan, which connections are not verified.
func insecureWarnings(cfg engine.Config) diag.Diagnostics {
	var diags diag.Diagnostics
	names := make([]string, 0, len(cfg.Sites))
	for name := range cfg.Sites {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := cfg.Sites[name]
		at := path.Root("sites").AtMapKey(name).AtName("insecure")
		switch {
		case s.Credentials.Insecure:
			diags.AddAttributeWarning(at, "TLS certificates of site "+name+" not verified",
				"insecure = true: the provider accepts any certificate from "+name+"'s APIs, so a man in the middle could read its "+
					"credentials. Give the site's CA bundle as cacert_file instead and remove insecure.")
		case s.Admin != nil && s.Admin.Insecure:
			diags.AddAttributeWarning(at.ParentPath().AtName("admin").AtName("insecure"), "TLS certificates of site "+name+" not verified for the admin credential",
				"admin.insecure = true: the provider accepts any certificate from "+name+"'s APIs when it uses the admin credential. "+
					"Give the site's CA bundle as cacert_file instead and remove insecure.")
		}
	}
	if cfg.ArrayInsecure {
		diags.AddAttributeWarning(path.Root("flasharray_insecure"), "TLS certificates of the FlashArrays not verified",
			"flasharray_insecure = true: the provider accepts any certificate from the arrays, so a man in the middle could read "+
				"their API tokens. Give the arrays' CA bundle as flasharray_ca_file instead and remove flasharray_insecure.")
	}
	return diags
}

// secretsOf lists every secret of the configuration, so that the logger
// can mask them wherever they would appear.
func secretsOf(cfg engine.Config) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	for _, s := range cfg.Sites {
		add(s.Credentials.Password)
		add(s.Credentials.ApplicationCredentialSecret)
		if s.Admin != nil {
			add(s.Admin.Password)
			add(s.Admin.ApplicationCredentialSecret)
		}
	}
	for _, t := range cfg.ArrayTokens {
		add(t)
	}
	return out
}

func (p *protectorProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewSiteResource,
		NewProtectionGroupResource,
		NewReplicationPolicyResource,
		NewMemberResource,
		NewDrillResource,
	}
}

func (p *protectorProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewSyncStatusDataSource, NewSyncLogDataSource, NewConsistencyGroupDataSource, NewMembersDataSource, NewSitesDataSource, NewVolumeTypesDataSource, NewFailoverReadinessDataSource}
}
