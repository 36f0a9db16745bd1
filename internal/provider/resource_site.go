package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
	"github.com/protector-dr/terraform-provider-protector/internal/provider/importid"
)

var (
	_ resource.ResourceWithConfigure   = (*siteResource)(nil)
	_ resource.ResourceWithImportState = (*siteResource)(nil)
)

// NewSiteResource is the protector_site resource.
func NewSiteResource() resource.Resource { return &siteResource{} }

type siteResource struct {
	resourceBase
}

type siteModel struct {
	ID                   types.String      `tfsdk:"id"`
	Name                 types.String      `tfsdk:"name"`
	Description          types.String      `tfsdk:"description"`
	ConsistencyGroupType types.String      `tfsdk:"consistency_group_type"`
	Status               types.String      `tfsdk:"status"`
	AuthURL              types.String      `tfsdk:"auth_url"`
	Region               types.String      `tfsdk:"region"`
	Services             types.List        `tfsdk:"services"`
	AdminChecks          types.Bool        `tfsdk:"admin_checks"`
	RegisteredAt         timetypes.RFC3339 `tfsdk:"registered_at"`
}

func (r *siteResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_site"
}

func (r *siteResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Registers one OpenStack cloud for DR, the guide's `site create` followed by `site validate`: " +
			"the site must answer with its credentials, its catalog must list compute, block storage (`volumev3`) and " +
			"object storage, and the consistency group type must exist. The registration is kept in the site's own object " +
			"store, where protection groups of that site also keep their metadata.\n\n" +
			"A protection group needs both its sites registered; reference the sites from the group (`primary_site = " +
			"protector_site.a.name`) so that they are registered first.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The site name.",
				PlanModifiers:       keep,
			},
			"name": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Site name: a key of the provider's `sites`, or else the name of a `clouds.yaml` entry " +
					fmt.Sprintf("(`site-a`, `site-b`): 1 to %d letters, digits, `.`, `_` or `-`. Changing it registers another site.", engine.MaxSiteNameLength),
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{siteName()},
			},
			"description": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(""),
				MarkdownDescription: "Informational label of the site. Updates in place.",
			},
			"consistency_group_type": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(engine.DefaultConsistencyGroupType),
				MarkdownDescription: "Name or id of the Cinder group type used for the consistency groups of this site: one " +
					"with group spec `consistent_group_snapshot_enabled='<is> True'`, created by an admin. Default `" +
					engine.DefaultConsistencyGroupType + "`. Updates in place (groups created before keep theirs).",
				Validators: []validator.String{cinderTypeName("group type")},
			},
			"status": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "`active` when the last validation passed, `error` when a check failed, `unreachable` " +
					"when the last refresh could not reach the site.",
			},
			"auth_url": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Keystone URL the site was reached at.",
				PlanModifiers:       keep,
			},
			"region": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Region whose endpoints are used.",
				PlanModifiers:       keep,
			},
			"services": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Service types found in the site's catalog.",
			},
			"admin_checks": schema.BoolAttribute{
				Computed: true,
				MarkdownDescription: "Whether admin-only fields can be read on this site (an `admin` credential is configured " +
					"in the provider's `sites`, or the credential has the admin role), so that the eligibility and backend checks " +
					"are complete at plan.",
			},
			"registered_at": schema.StringAttribute{
				Computed:            true,
				CustomType:          timetypes.RFC3339Type{},
				MarkdownDescription: "When the site was registered (RFC 3339).",
				PlanModifiers:       keep,
			},
		},
	}
}

func (r *siteResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var plan siteModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	site, err := r.data.engine.RegisterSite(ctx, plan.spec())
	if err != nil {
		addEngineError(&resp.Diagnostics, "register site "+plan.Name.ValueString(), withImportCommand(err, plan.Name.ValueString()))
		return
	}
	addWarnings(&resp.Diagnostics, "Site check not complete", site.Validation.Messages)
	resp.Diagnostics.Append(plan.fill(ctx, site)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *siteResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var state siteModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	site, err := r.data.engine.GetSite(ctx, state.Name.ValueString())
	switch {
	case errors.Is(err, engine.ErrNotFound):
		resp.State.RemoveResource(ctx)
		return
	case engine.IsKind(err, engine.KindUnreachable):
		// The registration lives on the site itself: when the site is down
		// it is not gone. Keep it and say so, so that the plan can go on and
		// report what the outage blocks in the guide's words.
		resp.Diagnostics.AddWarning("Site "+state.Name.ValueString()+" is unreachable", err.Error())
		state.Status = types.StringValue(engine.SiteStatusUnreachable)
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	case err != nil:
		addEngineError(&resp.Diagnostics, "read site "+state.Name.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(state.fill(ctx, site)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *siteResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var plan siteModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	site, err := r.data.engine.UpdateSite(ctx, plan.spec())
	if err != nil {
		addEngineError(&resp.Diagnostics, "update site "+plan.Name.ValueString(), err)
		return
	}
	addWarnings(&resp.Diagnostics, "Site check not complete", site.Validation.Messages)
	resp.Diagnostics.Append(plan.fill(ctx, site)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *siteResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !needEngine(r.data, &resp.Diagnostics) {
		return
	}
	var state siteModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.data.engine.UnregisterSite(ctx, state.Name.ValueString()); err != nil {
		addEngineError(&resp.Diagnostics, "unregister site "+state.Name.ValueString(), err)
	}
}

// withImportCommand gives the refusal of a second registration the command
// that adopts the registration instead.
func withImportCommand(err error, name string) error {
	var ee *engine.Error
	if !errors.As(err, &ee) || ee.Kind != engine.KindRegistered {
		return err
	}
	c := *ee
	c.Fix = fmt.Sprintf("Nothing was changed. A registration has one owner: adopt it with "+
		"`terraform import protector_site.<name> %s` (or an import block with id = %q), "+
		"or remove this protector_site and write primary_site/secondary_site = %q where the site is used", name, name, name)
	return &c
}

// ImportState takes the site name.
func (r *siteResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if _, err := importid.Parse(req.ID, "site"); err != nil {
		resp.Diagnostics.AddError("Invalid import id", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
}

func (m *siteModel) spec() engine.SiteSpec {
	return engine.SiteSpec{
		Name:                 m.Name.ValueString(),
		Description:          m.Description.ValueString(),
		ConsistencyGroupType: m.ConsistencyGroupType.ValueString(),
	}
}

// fill copies what the engine found into the model. A group type given by
// id stays as written, so that the plan stays empty.
func (m *siteModel) fill(ctx context.Context, s *engine.Site) (diags diagnostics) {
	m.ID = types.StringValue(s.Name)
	m.Name = types.StringValue(s.Name)
	m.Description = types.StringValue(s.Description)
	if m.ConsistencyGroupType.IsNull() || m.ConsistencyGroupType.IsUnknown() || !s.NamesGroupType(m.ConsistencyGroupType.ValueString()) {
		m.ConsistencyGroupType = types.StringValue(s.ConsistencyGroupType)
	}
	m.Status = types.StringValue(s.Status)
	m.AuthURL = types.StringValue(s.AuthURL)
	m.Region = types.StringValue(s.Region)
	services := s.Validation.Services
	if services == nil {
		services = []string{}
	}
	var d diagnostics
	m.Services, d = types.ListValueFrom(ctx, types.StringType, services)
	diags.Append(d...)
	m.AdminChecks = types.BoolValue(s.Validation.AdminChecks)
	m.RegisteredAt = rfc3339(s.RegisteredAt)
	return diags
}
