package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
)

// TestDataSourceSchemasAreValid: every data source is served, its schema is
// valid and every attribute, nested ones included, is documented.
func TestDataSourceSchemasAreValid(t *testing.T) {
	ctx := context.Background()
	names := map[string]bool{}
	for _, f := range New("test")().DataSources(ctx) {
		d := f()
		var mresp datasource.MetadataResponse
		d.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "protector"}, &mresp)
		names[mresp.TypeName] = true
		var sresp datasource.SchemaResponse
		d.Schema(ctx, datasource.SchemaRequest{}, &sresp)
		if sresp.Diagnostics.HasError() {
			t.Fatalf("%s schema: %v", mresp.TypeName, sresp.Diagnostics)
		}
		if diags := sresp.Schema.ValidateImplementation(ctx); diags.HasError() {
			t.Fatalf("%s schema: %v", mresp.TypeName, diags)
		}
		if sresp.Schema.MarkdownDescription == "" {
			t.Errorf("%s has no description", mresp.TypeName)
		}
		for name, a := range sresp.Schema.Attributes {
			if a.GetMarkdownDescription() == "" {
				t.Errorf("%s.%s has no description", mresp.TypeName, name)
			}
			if n, ok := a.(schema.ListNestedAttribute); ok {
				for sub, sa := range n.NestedObject.Attributes {
					if sa.GetMarkdownDescription() == "" {
						t.Errorf("%s.%s.%s has no description", mresp.TypeName, name, sub)
					}
				}
			}
		}
	}
	for _, want := range []string{"protector_sync_status", "protector_sync_log", "protector_consistency_group", "protector_members", "protector_sites", "protector_volume_types"} {
		if !names[want] {
			t.Errorf("data source %s is not served", want)
		}
	}
}
