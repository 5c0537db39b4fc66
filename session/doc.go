// Package session runs reverse-call sessions: a client opens one long-lived
// connection to a daemon and serves gRPC services on it, and the daemon calls
// them back (moby/buildkit's sessions, with which it is wire-compatible: file
// sync, credentials and secrets are served by the client).
//
// The client creates a Session, allows its services and runs it:
//
//	s, err := session.NewSession(ctx, "build", "",
//		session.WithServerOptions(serverOpts...)) // e.g. from serveropt.New
//	if err != nil {
//		return err
//	}
//	s.Allow(session.AttachableFunc(func(srv *grpc.Server) {
//		secretspb.RegisterSecretsServer(srv, secrets)
//	}))
//	go s.Run(ctx, session.HTTPDialer("unix", "/run/daemon.sock", "/session"))
//	defer s.Close()
//	// ... ask the daemon to do work for session s.ID() ...
//
// The daemon accepts sessions with a Manager and calls them back through a
// Caller:
//
//	m, err := session.NewManager(session.WithAuthorizer(session.SharedKeyAuthorizer(key)))
//	http.HandleFunc("POST /session", func(w http.ResponseWriter, r *http.Request) {
//		_ = m.HandleHTTPRequest(r.Context(), w, r) // blocks until the session ends
//	})
//	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second} // no slow-header client holds a connection
//	// later, serving a request from that client:
//	c, err := m.Get(ctx, id, false) // waits for the session to appear
//	if err != nil {
//		return err
//	}
//	if !c.Supports(session.MethodURL("pkg.Secrets", "GetSecret")) {
//		return errors.ErrUnsupported
//	}
//	resp, err := secretspb.NewSecretsClient(c.Conn()).GetSecret(c.Context(ctx), req)
//
// # Wire format
//
// The handshake is a set of headers: HeaderID (the session id, 25 base-36
// characters for sessions made here), HeaderName, HeaderSharedKey, and one
// HeaderMethod per served method (MethodURL), the names buildkit uses. It
// travels either as the headers of an HTTP/1.1 "Upgrade: h2c" request
// (HTTPDialer, Manager.HandleHTTPRequest: docker's POST /session) or, on a
// plain connection, in grpckit's own length-prefixed framing (RawDialer,
// ReadHandshake, Manager.HandleConn; see WriteHandshake). After it the
// connection carries HTTP/2 with the daemon as the client, which speaks first.
//
// Both ends use grpc-go's native HTTP/2 transport on the one connection: the
// client's grpc.Server serves it through a listener that yields that
// connection once (not ServeHTTP), and the daemon's grpc.ClientConn dials it
// exactly once. When the connection ends, the session is over; a new Session
// (a new id) is needed.
//
// Over a network, run sessions over TLS: TLSHTTPDialer and TLSRawDialer wrap
// the connection in a TLS client connection (checked by security.CheckClient)
// before the handshake; the daemon accepts them on a TLS listener
// (listen.WithTLS) and can authorize a session by the client certificate's
// verified identity (security.IdentityFromState), passed to its Authorizer in
// the context of HandleConn or HandleHTTPRequest.
//
// # Daemon-side guarantees
//
// The Manager rejects a malformed handshake, one its Authorizer refuses, and
// a second session with a live id (buildkit replaces the live one), closing
// the connection and registering nothing. It checks every session's health
// (grpc.health.v1.Health/Check every 5 s, each check allowed max(15 s,
// 1.5 × the last successful check's duration), 2 consecutive failures end the
// session; see WithHealthInterval), and ends a session as soon as its
// connection closes. An ended session is removed from the registry, its
// Caller contexts are cancelled and its connection is closed, so calls in
// flight fail at once. Clients must serve grpc.health.v1.Health with SERVING;
// Session does.
//
// The shared key is not authentication in buildkit. Use WithAuthorizer
// (SharedKeyAuthorizer compares it in constant time) or a transport that only
// trusted clients can reach.
package session
