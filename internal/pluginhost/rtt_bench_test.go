package pluginhost_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// echoSockEnv makes the test binary a bare gRPC server (the health service)
// on the Unix socket named there, for BenchmarkGRPCRoundTrip; echoCertEnv,
// when set, is the PEM certificate and key it serves mutual TLS with.
const (
	echoSockEnv = "PLUGINHOST_TEST_ECHO_SOCK"
	echoCertEnv = "PLUGINHOST_TEST_ECHO_CERT"
)

func runEcho(sock string) {
	var opts []grpc.ServerOption
	if pemBytes := os.Getenv(echoCertEnv); pemBytes != "" {
		cert, pool := parseCert([]byte(pemBytes))
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert},
			ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12})))
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(s, health.NewServer())
	_ = s.Serve(l)
	os.Exit(0)
}

// BenchmarkGRPCRoundTrip is the floor under BenchmarkGET's plugin numbers:
// one unary gRPC call (the health check, no work) to another process over a
// Unix socket, as host and plugin talk, with and without mutual TLS (go-plugin's
// AutoMTLS uses P-521 ECDSA certificates) and with each side on one thread
// (GOMAXPROCS=1) or Go's default.
func BenchmarkGRPCRoundTrip(b *testing.B) {
	certPEM := selfSignedPEM(b)
	for _, tlsOn := range []bool{false, true} {
		for _, serverProcs := range []string{"default", "1"} {
			for _, clientProcs := range []int{0, 1} {
				name := fmt.Sprintf("tls=%v/server-procs=%s/client-procs=%s", tlsOn, serverProcs, map[int]string{0: "default", 1: "1"}[clientProcs])
				b.Run(name, func(b *testing.B) {
					sock := filepath.Join(b.TempDir(), "echo.sock")
					cmd := exec.Command(os.Args[0], "-test.run=^$")
					cmd.Env = append(os.Environ(), echoSockEnv+"="+sock)
					if serverProcs != "default" {
						cmd.Env = append(cmd.Env, "GOMAXPROCS="+serverProcs)
					}
					creds := insecure.NewCredentials()
					if tlsOn {
						cmd.Env = append(cmd.Env, echoCertEnv+"="+string(certPEM))
						cert, pool := parseCert(certPEM)
						creds = credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool,
							ServerName: "localhost", MinVersion: tls.VersionTLS12})
					}
					cmd.Stderr = os.Stderr
					if err := cmd.Start(); err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
					conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(creds))
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { _ = conn.Close() })
					client := healthpb.NewHealthClient(conn)
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true)); err != nil {
						b.Fatal(err)
					}
					if clientProcs > 0 {
						defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(clientProcs))
					}
					for b.Loop() {
						if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

func selfSignedPEM(b *testing.B) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Minute),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		b.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})...)
}

func parseCert(pemBytes []byte) (tls.Certificate, *x509.CertPool) {
	cert, err := tls.X509KeyPair(pemBytes, pemBytes)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	return cert, pool
}
