package flasharraysim

import (
	"crypto/tls"
	"fmt"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator/simtls"
)

// tlsMaterial is the array's own CA and the server certificate it signed,
// for 127.0.0.1, ::1 and localhost.
type tlsMaterial struct {
	caPEM      []byte
	serverCert tls.Certificate
}

func newTLSMaterial(name string) (*tlsMaterial, error) {
	m, err := simtls.New(name)
	if err != nil {
		return nil, fmt.Errorf("flasharraysim: %w", err)
	}
	return &tlsMaterial{caPEM: m.CAPEM, serverCert: m.ServerCert}, nil
}
