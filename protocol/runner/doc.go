// Package runner runs a sync the way the Airbyte platform does, outside
// Airbyte: it starts a source (`read`) and a destination (`write`), as
// binaries or Docker images, forwards RECORD and STATE messages from one to
// the other, gives each STATE the platform's integer id and sourceStats when
// they are missing, and saves the states the destination acknowledged to a
// state store (a local file or an S3 object) in the shape `read --state`
// accepts, so that the next run resumes where this one was committed.
//
// It shows both sides' LOG messages on stderr, draws progress per stream,
// retries a transient failure from the last acknowledged state and never
// retries a config error. The command protocol/cmd/airbyte-sync is a thin
// frame around Run.
//
// The platform code it imitates is named where it is imitated:
// airbyte-platform's StateWithId.attachIdToStateMessageFromSource (the id),
// ConnectionManagerWorkflowImpl (no retry after config_error) and
// VersionedAirbyteStreamFactory.internalLog (LOG lines are logged, not
// forwarded).
package runner
