#!/usr/bin/env bash
# Regenerates test/unit/protocol/netceptor-vectors.json: HighwayHash-64 values computed by
# github.com/minio/highwayhash v1.0.3, the library receptor 1.6.5 hashes node names with
# (pkg/netceptor/netceptor.go, AddNameHash: highwayhash.New64 with an all-zero 32-byte key).
# Also json.Marshal output of structs shaped like receptor's wire messages (key "json").
# The expected values come from Go, never from the TypeScript code under test.
# Needs Go and the module in the Go module cache (.ci/install-peers downloads receptor's modules).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/netceptor-vectors-XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/go.mod" <<'MOD'
module vectors
go 1.21
require github.com/minio/highwayhash v1.0.3
replace golang.org/x/sys v0.21.0 => golang.org/x/sys v0.34.0
MOD
cat > "$work/main.go" <<'GO'
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/minio/highwayhash"
)

// Same field names, types and order as receptor 1.6.5's wire structs (pkg/netceptor/netceptor.go
// routingUpdate, ServiceAdvertisement, serviceAdvertisementFull, WorkCommand, UnreachableMessage), so
// encoding/json writes exactly the bytes receptor would.
type routingUpdate struct {
	NodeID             string
	UpdateID           string
	UpdateEpoch        uint64
	UpdateSequence     uint64
	Connections        map[string]float64
	ForwardingNode     string
	SuspectedDuplicate uint64
}
type workCommand struct {
	WorkType string
	Secure   bool
}
type serviceAdvertisement struct {
	NodeID       string
	Service      string
	Time         time.Time
	ConnType     byte
	Tags         map[string]string
	WorkCommands []workCommand
}
type serviceAdvertisementFull struct {
	*serviceAdvertisement
	Cancel bool
}
type unreachableMessage struct {
	FromNode    string
	ToNode      string
	FromService string
	ToService   string
	Problem     string
}

type vector struct {
	Key   string `json:"key"`   // hex of the 32-byte key
	Input string `json:"input"` // hex of the input bytes
	Hash  string `json:"hash"`  // 16 hex digits of the uint64 (Sum64)
}

func main() {
	zero := make([]byte, 32)
	counting := make([]byte, 32)
	for i := range counting {
		counting[i] = byte(i)
	}
	var out []vector
	add := func(key []byte, in []byte) {
		h, _ := highwayhash.New64(key)
		_, _ = h.Write(in)
		out = append(out, vector{fmt.Sprintf("%x", key), fmt.Sprintf("%x", in), fmt.Sprintf("%016x", h.Sum64())})
	}
	// Node names as receptor meets them, and every length 0..100 (full 32-byte packets, each remainder
	// size mod 32 and mod 4) with the zero key and with a counting key.
	for _, name := range []string{"", "a", "foo", "controller", "hop", "executor", "meshctl-probe", "rnode", "localhost", "node-with-a-rather-long-name-over-32-bytes", "ünïcødé"} {
		add(zero, []byte(name))
	}
	for n := 0; n <= 100; n++ {
		in := make([]byte, n)
		for i := range in {
			in[i] = byte(i*7 + 3)
		}
		add(zero, in)
		add(counting, in)
	}
	m := func(v interface{}) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	t1 := time.Date(2026, 11, 29, 15, 4, 5, 123456700, time.UTC)
	t2 := time.Date(2026, 11, 29, 15, 4, 5, 0, time.FixedZone("", -5*3600-30*60))
	messages := map[string]string{
		"route": m(routingUpdate{"controller", "aB3dE5gH", 29100000000000123, 7,
			map[string]float64{"zeta<&>": 2.5, "alpha": 1, "big": 1e21, "tiny": 1e-7, "mid": 0.1}, "hop", 0}),
		"routeEmpty":  m(routingUpdate{NodeID: "n", Connections: map[string]float64{}}),
		"routeMaxU64": m(routingUpdate{NodeID: "n", UpdateEpoch: 18446744073709551615, SuspectedDuplicate: 9007199254740993, Connections: map[string]float64{}}),
		"advert": m(serviceAdvertisementFull{&serviceAdvertisement{"controller", "control", t1, 1,
			map[string]string{"type": "Control Service"}, []workCommand{{"echo", false}, {"signed", true}}}, false}),
		"advertCancel": m(serviceAdvertisementFull{&serviceAdvertisement{"n", "svc", t2, 0, nil, nil}, true}),
		"unreach":      m(unreachableMessage{"a", "b", "AbCdEfGh", "ping", "message expired"}),
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	_ = enc.Encode(map[string]interface{}{"generator": "github.com/minio/highwayhash v1.0.3 New64 / Sum64", "vectors": out, "json": messages})
}
GO
(cd "$work" && GOFLAGS=-mod=mod GOPROXY=off GONOSUMDB=* GONOSUMCHECK=1 GOSUMDB=off go run . ) > "$here/netceptor-vectors.json"
echo "wrote $here/netceptor-vectors.json"
