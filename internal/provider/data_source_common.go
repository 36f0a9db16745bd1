package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
)

// dataSourceBase gives a data source the provider's engine.
type dataSourceBase struct {
	data *providerData
}

func (d *dataSourceBase) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configured(req.ProviderData, &resp.Diagnostics)
}
