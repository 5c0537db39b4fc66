// Package opterr is the one way grpckit packages report invalid options.
//
// Every option builder (dialopt, serveropt) and every package with options
// (tracing, metrics, logging, deadline, forward, compress, session, listen)
// collects its errors in a List: each error names the package and the option,
// nil and typed-nil values are detected the same way everywhere, and all
// errors are joined in the order the options were given, so the same input
// always gives the same message. An error from a nested package (logging's,
// say, inside dialopt.WithLogging) is re-labelled rather than prefixed twice:
//
//	var errs opterr.List
//	errs.Nil("dialopt", "New", "option 2", o)     // "dialopt: New: option 2 is nil"
//	errs.Addf("dialopt", "WithCodec", "no codec registered for %q", name)
//	errs.Nest("dialopt", "WithLogging", logging.Validate(l, opts...))
//	return errs.Err()                             // nil, or every error joined
//
// It is not API: nothing outside this module can import it.
package opterr
