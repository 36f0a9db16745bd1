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
// With -lane DIR it serves only the two FlashArrays, for the real
// OpenStack sites of the lane (tools/openstack: make openstack-up wrote
// DIR): the arrays hold the fixture volumes, and the lane's Cinder driver
// writes to them while protector-sim runs; clouds.yaml in -dir names the
// real sites (site-a and site-b as the project member, -lane-admin for the
// admin; site-a-admin and site-b-admin).
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
		volQuota   = flag.Int("volume-quota", 0, "Cinder volumes quota of the projects of both sites (0: Cinder's default, 10); a DR project is sized for a failover and a drill at once")
		lane       = flag.String("lane", "", "serve only the FlashArrays, for the real sites whose fixtures.json and clouds.yaml are in this directory (tools/openstack)")
		laneAdmin  = flag.Bool("lane-admin", false, "with -lane: site-a and site-b in clouds.yaml are the admin, not the project member")
	)
	flag.Parse()
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("protector-sim: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *lane != "" {
		if *dir == "" {
			log.Fatal("-lane needs -dir")
		}
		os.Exit(runLane(ctx, *lane, *dir, *arrayAAddr, *arrayBAddr, *laneAdmin))
	}

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
	if *volQuota > 0 {
		for _, site := range []string{simulator.SiteA, simulator.SiteB} {
			w.Site(site).SetCinderQuota("volumes", *volQuota)
		}
	}

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
	abs, err := prepareDir(dir)
	if err != nil {
		return err
	}
	clouds := filepath.Join(abs, "clouds.yaml")
	if err := w.WriteCloudsYAML(clouds); err != nil {
		return err
	}
	ca := filepath.Join(abs, "flasharray-ca.pem")
	if err := w.WriteCACert(ca); err != nil {
		return err
	}
	if err := writeEnv(abs, clouds, w.Site(simulator.SiteA).AuthURL(), w.Site(simulator.SiteB).AuthURL(),
		w.Array(simulator.ArrayA).URL(), w.Array(simulator.ArrayB).URL(), ca); err != nil {
		return err
	}
	if len(extraIDs) > 0 {
		if err := os.WriteFile(filepath.Join(abs, "servers.txt"), []byte(strings.Join(extraIDs, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	return markReady(abs)
}

// prepareDir makes dir, removes an old "ready" and returns its absolute path.
func prepareDir(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	_ = os.Remove(filepath.Join(abs, "ready"))
	return abs, nil
}

// writeEnv writes env.sh: what a client needs to reach both sites and both arrays.
func writeEnv(dir, clouds, siteA, siteB, arrayA, arrayB, ca string) error {
	vars := [][2]string{
		{"OS_CLIENT_CONFIG_FILE", clouds},
		{"PROTECTOR_SITE_A_AUTH_URL", siteA},
		{"PROTECTOR_SITE_B_AUTH_URL", siteB},
		{"PROTECTOR_FA_A_URL", arrayA},
		{"PROTECTOR_FA_B_URL", arrayB},
		{"PROTECTOR_FA_A_TOKEN", simulator.ArrayAToken},
		{"PROTECTOR_FA_B_TOKEN", simulator.ArrayBToken},
		{"PROTECTOR_FA_CA_FILE", ca},
	}
	var b strings.Builder
	b.WriteString("# Written by protector-sim; source it to reach the sites and arrays.\n")
	for _, kv := range vars {
		fmt.Fprintf(&b, "export %s='%s'\n", kv[0], kv[1])
	}
	return os.WriteFile(filepath.Join(dir, "env.sh"), []byte(b.String()), 0o600)
}

func markReady(dir string) error {
	return os.WriteFile(filepath.Join(dir, "ready"), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644)
}

// runLane serves the two FlashArrays of the real-OpenStack lane until ctx
// ends and returns the exit status.
func runLane(ctx context.Context, laneDir, dir, addrA, addrB string, admin bool) int {
	fx, err := simulator.ReadLaneFixtures(filepath.Join(laneDir, "fixtures.json"))
	if err != nil {
		log.Printf("%v (bring the lane up first: make openstack-up)", err)
		return 1
	}
	abs, err := prepareDir(dir)
	if err != nil {
		log.Print(err)
		return 1
	}
	ca := filepath.Join(abs, "flasharray-ca.pem")
	arrays, err := simulator.StartLaneArrays(fx, addrA, addrB, ca)
	if err != nil {
		log.Print(err)
		return 1
	}
	defer arrays.Close()
	clouds := filepath.Join(abs, "clouds.yaml")
	err = simulator.WriteLaneCloudsYAML(filepath.Join(laneDir, "clouds.yaml"), clouds, admin)
	if err == nil {
		err = writeEnv(abs, clouds, fx.Sites[simulator.SiteA].AuthURL, fx.Sites[simulator.SiteB].AuthURL, arrays.A.URL(), arrays.B.URL(), ca)
		if err == nil {
			err = markReady(abs)
		}
	}
	if err != nil {
		log.Print(err)
		return 1
	}
	log.Printf("%s %s (real)", simulator.SiteA, fx.Sites[simulator.SiteA].AuthURL)
	log.Printf("%s %s (real)", simulator.SiteB, fx.Sites[simulator.SiteB].AuthURL)
	log.Printf("%s %s", simulator.ArrayA, arrays.A.URL())
	log.Printf("%s %s", simulator.ArrayB, arrays.B.URL())
	<-ctx.Done()
	log.Print("stopping")
	if err := arrays.SpecError(); err != nil {
		log.Printf("FlashArray exchanges the REST 2.26 spec does not allow:\n%v", err)
		return 3
	}
	return 0
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
