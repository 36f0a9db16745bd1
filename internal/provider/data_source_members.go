package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/protector-dr/terraform-provider-protector/internal/engine"
)

var _ datasource.DataSourceWithConfigure = (*membersDataSource)(nil)

// NewMembersDataSource is the protector_members data source.
func NewMembersDataSource() datasource.DataSource { return &membersDataSource{} }

type membersDataSource struct{ dataSourceBase }

type membersModel struct {
	ProtectionGroupID types.String `tfsdk:"protection_group_id"`
	Members           types.List   `tfsdk:"members"`
}

var (
	recoveryFlavorType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"name": types.StringType, "vcpus": types.Int64Type, "ram_mib": types.Int64Type, "disk_gib": types.Int64Type,
		"extra_specs": types.MapType{ElemType: types.StringType},
	}}
	blockDeviceType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"boot_index": types.Int64Type, "device_name": types.StringType, "volume_id": types.StringType,
		"size_gib": types.Int64Type, "volume_type": types.StringType, "array_volume_name": types.StringType,
	}}
	portType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"port_id": types.StringType, "network_id": types.StringType, "network_name": types.StringType,
		"fixed_ips": types.ListType{ElemType: types.StringType}, "security_groups": types.ListType{ElemType: types.StringType},
	}}
	recoveryType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"flavor": recoveryFlavorType, "block_devices": types.ListType{ElemType: blockDeviceType},
		"availability_zone": types.StringType, "key_name": types.StringType,
		"metadata": types.MapType{ElemType: types.StringType}, "tags": types.ListType{ElemType: types.StringType},
		"ports": types.ListType{ElemType: portType}, "networks_note": types.StringType, "read_at": timetypes.RFC3339Type{},
	}}
	memberListType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"id": types.StringType, "instance_id": types.StringType, "instance_name": types.StringType,
		"status": types.StringType, "volumes": types.Int64Type, "recovery": recoveryType,
	}}
)

func (d *membersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_members"
}

func (d *membersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The guide's `protection-group member-list` (Example 3): every member of a protection group as its " +
			"newest metadata records it, whichever configuration added it. All members must be `protected` before a failover " +
			"or DR drill.",
		Attributes: map[string]schema.Attribute{
			"protection_group_id": groupIDAttribute(),
			"members": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The members, in the order they were added.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"id":            schema.StringAttribute{Computed: true, MarkdownDescription: "Member id (`member-...`)."},
					"instance_id":   schema.StringAttribute{Computed: true, MarkdownDescription: "Nova instance id."},
					"instance_name": schema.StringAttribute{Computed: true, MarkdownDescription: "Nova instance name when it was added."},
					"status":        schema.StringAttribute{Computed: true, MarkdownDescription: "`protected` or `error`."},
					"volumes":       schema.Int64Attribute{Computed: true, MarkdownDescription: "Number of volumes protected."},
					"recovery":      recoveryAttribute(),
				}},
			},
		},
	}
}

func (d *membersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m membersModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !needEngine(d.data, &resp.Diagnostics) {
		return
	}
	members, err := d.data.engine.Members(ctx, m.ProtectionGroupID.ValueString())
	if err != nil {
		addEngineError(&resp.Diagnostics, "list the members of protection group "+m.ProtectionGroupID.ValueString(), err)
		return
	}
	m.Members = memberList(members)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func memberList(members []engine.Member) types.List {
	elems := make([]attr.Value, 0, len(members))
	for _, mb := range members {
		elems = append(elems, types.ObjectValueMust(memberListType.AttrTypes, map[string]attr.Value{
			"id": types.StringValue(mb.ID), "instance_id": types.StringValue(mb.InstanceID),
			"instance_name": types.StringValue(mb.InstanceName), "status": types.StringValue(mb.Status),
			"volumes":  types.Int64Value(int64(len(mb.VolumeIDs))),
			"recovery": recoveryValue(mb.Recovery),
		}))
	}
	return types.ListValueMust(memberListType, elems)
}

// recoveryAttribute describes a member's recovery description.
func recoveryAttribute() schema.SingleNestedAttribute {
	str := func(d string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: d}
	}
	num := func(d string) schema.Int64Attribute {
		return schema.Int64Attribute{Computed: true, MarkdownDescription: d}
	}
	strs := func(d string) schema.ListAttribute {
		return schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: d}
	}
	strMap := func(d string) schema.MapAttribute {
		return schema.MapAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: d}
	}
	return schema.SingleNestedAttribute{
		Computed: true,
		MarkdownDescription: "What the secondary site needs to bring the VM up, as read from Nova, Cinder and Neutron when the " +
			"member was added or last repaired and stored in the metadata on both sites (see the metadata format guide). " +
			"Null for a member recorded before recovery descriptions existed (the next apply records it).",
		Attributes: map[string]schema.Attribute{
			"flavor": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "The flavor the VM runs with (Nova's embedded copy, microversion 2.47).",
				Attributes: map[string]schema.Attribute{
					"name": str("Flavor name."), "vcpus": num("vCPUs."), "ram_mib": num("RAM (MiB)."), "disk_gib": num("Root disk (GiB)."),
					"extra_specs": strMap("Extra specs, as the server view shows them."),
				}},
			"block_devices": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The VM's volumes in boot order: the boot volume first.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"boot_index":  num("0 for the boot volume, -1 for the others (Nova's block device mapping)."),
					"device_name": str("Device (`/dev/vda`)."), "volume_id": str("Cinder volume id on the primary site."),
					"size_gib": num("Size (GiB)."), "volume_type": str("Volume type."),
					"array_volume_name": str("The volume's name on the FlashArray (the Pure driver's `array_volume_name`)."),
				}}},
			"availability_zone": str("Nova availability zone."), "key_name": str("Key pair name; empty when none."),
			"metadata": strMap("Server metadata."), "tags": strs("Server tags (microversion 2.26), sorted."),
			"ports": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The VM's Neutron ports; empty where none were found.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"port_id": str("Port id."), "network_id": str("Network id on the primary site."), "network_name": str("Network name."),
					"fixed_ips": strs("Fixed IP addresses."), "security_groups": strs("Security group ids."),
				}}},
			"networks_note": str("Why there are no ports: `no ports found`, or that the site has no network service (Neutron)."),
			"read_at":       schema.StringAttribute{Computed: true, CustomType: timetypes.RFC3339Type{}, MarkdownDescription: "When the description was read (RFC 3339)."},
		},
	}
}

func recoveryValue(r *engine.RecoveryDescription) types.Object {
	if r == nil {
		return types.ObjectNull(recoveryType.AttrTypes)
	}
	devices := make([]attr.Value, 0, len(r.BlockDevices))
	for _, b := range r.BlockDevices {
		devices = append(devices, types.ObjectValueMust(blockDeviceType.AttrTypes, map[string]attr.Value{
			"boot_index": types.Int64Value(int64(b.BootIndex)), "device_name": types.StringValue(b.DeviceName),
			"volume_id": types.StringValue(b.VolumeID), "size_gib": types.Int64Value(int64(b.Size)),
			"volume_type": types.StringValue(b.VolumeType), "array_volume_name": types.StringValue(b.ArrayVolumeName),
		}))
	}
	ports := make([]attr.Value, 0, len(r.Ports))
	for _, p := range r.Ports {
		ports = append(ports, types.ObjectValueMust(portType.AttrTypes, map[string]attr.Value{
			"port_id": types.StringValue(p.PortID), "network_id": types.StringValue(p.NetworkID), "network_name": types.StringValue(p.NetworkName),
			"fixed_ips": stringList(p.FixedIPs), "security_groups": stringList(p.SecurityGroups),
		}))
	}
	emptyMap := func(m map[string]string) types.Map {
		if len(m) == 0 {
			return types.MapValueMust(types.StringType, map[string]attr.Value{})
		}
		return stringMap(m)
	}
	return types.ObjectValueMust(recoveryType.AttrTypes, map[string]attr.Value{
		"flavor": types.ObjectValueMust(recoveryFlavorType.AttrTypes, map[string]attr.Value{
			"name": types.StringValue(r.Flavor.Name), "vcpus": types.Int64Value(int64(r.Flavor.VCPUs)),
			"ram_mib": types.Int64Value(int64(r.Flavor.RAM)), "disk_gib": types.Int64Value(int64(r.Flavor.Disk)),
			"extra_specs": emptyMap(r.Flavor.ExtraSpecs),
		}),
		"block_devices":     types.ListValueMust(blockDeviceType, devices),
		"availability_zone": types.StringValue(r.AvailabilityZone), "key_name": types.StringValue(r.KeyName),
		"metadata": emptyMap(r.Metadata), "tags": stringList(r.Tags),
		"ports": types.ListValueMust(portType, ports), "networks_note": types.StringValue(r.NetworksNote),
		"read_at": rfc3339(r.ReadAt),
	})
}
