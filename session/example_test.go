package session_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/grpckit/grpckit/internal/testsrv"
	"github.com/grpckit/grpckit/session"
)

// A daemon that accepts raw-framed sessions on a plain TCP listener, and a
// client that exposes grpc's TestService on one; the daemon calls it back.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Daemon: read the handshake, then hand the connection to the Manager.
	m, _ := session.NewManager()
	defer m.Close()
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	defer lis.Close()
	go func() {
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			meta, err := session.ReadHandshake(conn)
			if err != nil {
				conn.Close()
				continue
			}
			_ = conn.SetReadDeadline(time.Time{})
			go m.HandleConn(ctx, conn, meta)
		}
	}()

	// Client.
	s, _ := session.NewSession(ctx, "example", "")
	s.Allow(session.AttachableFunc(func(srv *grpc.Server) {
		testpb.RegisterTestServiceServer(srv, &testsrv.Service{ServerID: "the client"})
	}))
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx, session.RawDialer("tcp", lis.Addr().String())) }()

	// Daemon: call the client back.
	c, err := m.Get(ctx, s.ID(), false)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := testpb.NewTestServiceClient(c.Conn()).UnaryCall(c.Context(ctx), &testpb.SimpleRequest{FillServerId: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("answered by", resp.GetServerId())

	_ = s.Close()
	fmt.Println("Run:", <-ran)
	// Output:
	// answered by the client
	// Run: <nil>
}
