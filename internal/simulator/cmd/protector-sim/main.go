// Command protector-sim runs the two-site simulator (two OpenStack sites,
// two FlashArrays) until SIGINT or SIGTERM, for the demo and for manual
// runs of the provider.
//
// With -dir it writes clouds.yaml, flasharray-ca.pem and env.sh there, and
// a file named "ready" last, so a script can wait for that file and then
// source env.sh.
//
// For scale runs, -extra-servers N seeds N more site-a servers (boot and
// data volume, replicated-ssd on pure@backend-a; see World.AddServers) and
// writes their instance ids, one a line, to servers.txt in -dir; -latency
// delays every request of both sites and both arrays, as a WAN would.
//
// With -site-tls the OpenStack sites serve HTTPS under a CA of the world's
// own, written to openstack-ca.pem in -dir and named as the cacert of every
// clouds.yaml entry.
//
// It exits with status 3 when the arrays saw a request, or gave an answer,
// that Pure's REST 2.26 OpenAPI spec does not allow.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/protector-dr/terraform-provider-protector/internal/simulator"
	"github.com/protector-dr/terraform-provider-protector/internal/simulator/fault"
)

func main() {
	var (
		dir        = flag.String("dir", "", "directory to write clouds.yaml, flasharray-ca.pem, env.sh and ready into")
		siteAAddr  = flag.String("site-a-addr", "127.0.0.1:0", "listen address of site-a (OpenStack)")
		siteBAddr  = flag.String("site-b-addr", "127.0.0.1:0", "listen address of site-b (OpenStack)")
		arrayAAddr = flag.String("array-a-addr", "127.0.0.1:0", "listen address of flasharray-a (HTTPS)")
		arrayBAddr = flag.String("array-b-addr", "127.0.0.1:0", "listen address of flasharray-b (HTTPS)")
		asyncDelay = flag.Duration("async-delay", 0, "how long Cinder group transitions take (0: simulator default)")
		arrayDelay = flag.Duration("array-async-delay", 0, "how long array snapshot transfers take")
		verbose    = flag.Bool("v", false, "log one line per request to stderr")
		extra      = flag.Int("extra-servers", 0, "seed this many more site-a servers (ids in servers.txt in -dir)")
		latency    = flag.Duration("latency", 0, "delay every request of both sites and both arrays by this much")
		siteTLS    = flag.Bool("site-tls", false, "serve the OpenStack sites over HTTPS under the world's own CA (openstack-ca.pem in -dir, named as cacert in clouds.yaml)")
	)
	flag.Parse()
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("protector-sim: ")

	w, err := simulator.Start(simulator.Options{
		AsyncDelay: *asyncDelay, ArrayAsyncDelay: *arrayDelay,
		SiteAAddr: *siteAAddr, SiteBAddr: *siteBAddr, ArrayAAddr: *arrayAAddr, ArrayBAddr: *arrayBAddr,
		SiteTLS: *siteTLS,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	if *extra < 0 {
		w.Close()
		log.Fatal("-extra-servers must not be negative")
	}
	extraIDs := w.AddServers(*extra)
	w.SetLatency(*latency)

	if *dir != "" {
		if err := writeFiles(w, *dir, extraIDs); err != nil {
			w.Close()
			log.Fatal(err)
		}
	}
	log.Printf("%s %s", simulator.SiteA, w.Site(simulator.SiteA).AuthURL())
	log.Printf("%s %s", simulator.SiteB, w.Site(simulator.SiteB).AuthURL())
	log.Printf("%s %s", simulator.ArrayA, w.Array(simulator.ArrayA).URL())
	log.Printf("%s %s", simulator.ArrayB, w.Array(simulator.ArrayB).URL())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *verbose {
		go logRequests(ctx, map[string]*fault.Injector{
			simulator.SiteA:  w.Site(simulator.SiteA).Faults(),
			simulator.SiteB:  w.Site(simulator.SiteB).Faults(),
			simulator.ArrayA: w.Array(simulator.ArrayA).Faults(),
			simulator.ArrayB: w.Array(simulator.ArrayB).Faults(),
		})
	}
	<-ctx.Done()
	log.Print("stopping")
	// The arrays check every exchange against Pure's OpenAPI spec; a
	// mismatch fails the run that used them, as it fails a test.
	if err := w.SpecError(); err != nil {
		w.Close()
		log.Printf("FlashArray exchanges the REST 2.26 spec does not allow:\n%v", err)
		os.Exit(3)
	}
}

// writeFiles writes the files a client needs, "ready" last.
func writeFiles(w *simulator.World, dir string, extraIDs []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	_ = os.Remove(filepath.Join(abs, "ready"))
	clouds := filepath.Join(abs, "clouds.yaml")
	if err := w.WriteCloudsYAML(clouds); err != nil {
		return err
	}
	ca := filepath.Join(abs, "flasharray-ca.pem")
	if err := w.WriteCACert(ca); err != nil {
		return err
	}
	vars := [][2]string{
		{"OS_CLIENT_CONFIG_FILE", clouds},
		{"PROTECTOR_SITE_A_AUTH_URL", w.Site(simulator.SiteA).AuthURL()},
		{"PROTECTOR_SITE_B_AUTH_URL", w.Site(simulator.SiteB).AuthURL()},
		{"PROTECTOR_FA_A_URL", w.Array(simulator.ArrayA).URL()},
		{"PROTECTOR_FA_B_URL", w.Array(simulator.ArrayB).URL()},
		{"PROTECTOR_FA_A_TOKEN", simulator.ArrayAToken},
		{"PROTECTOR_FA_B_TOKEN", simulator.ArrayBToken},
		{"PROTECTOR_FA_CA_FILE", ca},
	}
	var b strings.Builder
	b.WriteString("# Written by protector-sim; source it to reach the simulated world.\n")
	for _, kv := range vars {
		fmt.Fprintf(&b, "export %s='%s'\n", kv[0], kv[1])
	}
	if err := os.WriteFile(filepath.Join(abs, "env.sh"), []byte(b.String()), 0o600); err != nil {
		return err
	}
	if len(extraIDs) > 0 {
		if err := os.WriteFile(filepath.Join(abs, "servers.txt"), []byte(strings.Join(extraIDs, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(abs, "ready"), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644)
}

// logRequests prints each request the servers see, from their injectors'
// records (the injector sits in front of every handler).
func logRequests(ctx context.Context, injectors map[string]*fault.Injector) {
	seen := map[string]int{}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for name, inj := range injectors {
			reqs := inj.Requests()
			for _, r := range reqs[min(seen[name], len(reqs)):] {
				q := ""
				if r.Query != "" {
					q = "?" + r.Query
				}
				fmt.Fprintf(os.Stderr, "%s %-12s %s %s%s\n", r.Time.Format("15:04:05.000"), name, r.Method, r.Path, q)
			}
			seen[name] = len(reqs)
		}
	}
}
