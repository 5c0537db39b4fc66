package logging

// ExportMillis exposes millis to the black-box tests.
var ExportMillis = millis
