// Package listen opens the listeners a gRPC daemon serves on, from the
// PROTO://ADDR strings that daemons take on their command line (docker's -H):
//
//	tcp://HOST:PORT   a TCP listener; a bare HOST:PORT means the same
//	unix:///PATH      a unix socket with a chosen mode (default 0660) and group
//	fd://             every socket systemd passed by socket activation
//	fd://N            the passed socket with file descriptor N (N >= 3)
//	fd://NAME         the passed sockets named NAME (FileDescriptorName=)
//
// A daemon binds every listener early, starts serving behind a Gate, and opens
// the gate once it is initialised; connections that arrive in between wait in
// the kernel's accept queue instead of being refused:
//
//	gate := listen.NewGate()
//	var all []net.Listener
//	for _, spec := range hosts { // e.g. "unix:///run/app.sock", "fd://"
//		ls, err := listen.Listen(ctx, spec,
//			listen.WithSocketGroup("app"), listen.WithGate(gate))
//		if err != nil {
//			return err // names the spec and the expected form
//		}
//		all = append(all, ls...)
//	}
//	srv := grpc.NewServer()
//	for _, l := range all {
//		go srv.Serve(l) // Accept waits for the gate
//	}
//	initialise()
//	gate.Activate()
//
// Unix sockets are created with socket(2), bind(2), chown and chmod, and only
// then listen(2): no client can connect before the mode and group are in place,
// and the process umask is never touched. An existing socket file is removed
// only when it is stale (connecting to it is refused); a live socket or any
// file that is not a socket is left alone and reported.
package listen
