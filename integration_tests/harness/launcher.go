package harness

import (
	"strconv"
	"strings"
	"unicode"
)

// The Airbyte platform's launcher, reproduced byte for byte.
//
// Matched against airbytehq/airbyte-platform at commit
// 310e6cb6ac0e7bd310fe99bfd505d5c36ba71f2e (see PlatformCommit):
//   - airbyte-commons-worker/src/main/kotlin/io/airbyte/workers/pod/FileConstants.kt
//     (object FileConstants: the constants below);
//   - airbyte-workload-launcher/src/main/kotlin/pods/factories/ContainerCommandFactory.kt
//     (functions source, destination, connectorOperation and the private
//     connectorCommandWrapper; the templates are copied with their
//     indentation, and kotlinTrimIndent applies String.trimIndent after the
//     interpolation, as the Kotlin does at run time);
//   - airbyte-workload-launcher/src/main/kotlin/pods/factories/ConnectorPodFactory.kt
//     (buildMainContainer: the "--k v" arguments joined with prefix " ");
//   - airbyte-workload-launcher/src/main/kotlin/config/PodFactoryBeanFactory.kt
//     (check and discover get "config" to "/config/connectionConfiguration.json",
//     spec gets no argument).

// PlatformCommit is the airbyte-platform commit the launcher was read at.
const PlatformCommit = "310e6cb6ac0e7bd310fe99bfd505d5c36ba71f2e"

// FileConstants.kt.
const (
	SourceDir               = "/source"
	DestDir                 = "/dest"
	StdinPipeFile           = "stdin"
	StdoutPipeFile          = "stdout"
	StderrPipeFile          = "stderr"
	ExitCodeFile            = "exitCode.txt"
	JobOutputFile           = "jobOutput.json"
	ConnectionConfigFile    = "connectionConfiguration.json"
	ConnectorConfigFile     = "connectorConfig.json"
	CatalogFile             = "catalog.json"
	InputStateFile          = "inputState.json"
	TerminationMarkerFile   = "TERMINATED"
	terminationCheckSeconds = 10 // ContainerCommandFactory.TERMINATION_CHECK_INTERVAL_SECONDS
)

// ConfigDir is AirbyteConfig.kt's DEFAULT_CONNECTOR_CONFIG_DIR, the working
// directory of spec, check and discover pods.
const ConfigDir = "/config"

// TerminationCheckInterval is how often the wrapper looks for TERMINATED.
const TerminationCheckInterval = terminationCheckSeconds // seconds

// connectorCommandWrapper is ContainerCommandFactory.connectorCommandWrapper.
func connectorCommandWrapper(command string) string {
	return kotlinTrimIndent(`
    # fail loudly if entry point not set
    if [ -z "$AIRBYTE_ENTRYPOINT" ]; then
      echo "Entrypoint was not set! AIRBYTE_ENTRYPOINT must be set in the container."
      exit 127
    else
      echo "Using AIRBYTE_ENTRYPOINT: $AIRBYTE_ENTRYPOINT"
    fi

    # run connector in background and store PID
    (` + command + `) &
    CHILD_PID=$!

    # run busy loop in background that checks for termination file and if present kills the connector operation and exits
    (while true; do if [ -f ` + TerminationMarkerFile + ` ]; then kill $CHILD_PID; exit 0; fi; sleep ` + strconv.Itoa(terminationCheckSeconds) + `; done) &

    # wait on connector operation
    wait $CHILD_PID
    EXIT_CODE=$?

    # write its exit code to a file for the sidecar
    echo $EXIT_CODE > TEMP_EXIT_CODE.txt
    # use a swap file to make creation and writing atomic
    mv TEMP_EXIT_CODE.txt ` + ExitCodeFile + `

    # propagate connector exit code by assuming it
    exit $EXIT_CODE
    `)
}

// SourceScript is ContainerCommandFactory.source(): the `sh -c` script of
// the replication pod's source container (working directory /source).
func SourceScript() string {
	return connectorCommandWrapper(kotlinTrimIndent(`
      # only provide the state flag if present
      if [ ! -f ` + SourceDir + `/` + InputStateFile + ` ]; then
        eval "$AIRBYTE_ENTRYPOINT read --config ` + SourceDir + `/` + ConnectorConfigFile + ` --catalog ` + SourceDir + `/` + CatalogFile + `" 2> ` + StderrPipeFile + ` > ` + StdoutPipeFile + `
      else
        eval "$AIRBYTE_ENTRYPOINT read --config ` + SourceDir + `/` + ConnectorConfigFile + ` --catalog ` + SourceDir + `/` + CatalogFile + ` --state ` + SourceDir + `/` + InputStateFile + `" 2> ` + StderrPipeFile + ` > ` + StdoutPipeFile + `
      fi
      `))
}

// DestinationScript is ContainerCommandFactory.destination(): the `sh -c`
// script of the destination container (working directory /dest).
func DestinationScript() string {
	return connectorCommandWrapper(kotlinTrimIndent(`
      eval "$AIRBYTE_ENTRYPOINT write --config ` + DestDir + `/` + ConnectorConfigFile + ` --catalog ` + DestDir + `/` + CatalogFile + `" 2> ` + StderrPipeFile + ` > ` + StdoutPipeFile + ` < ` + StdinPipeFile + `
      `))
}

// OperationArgs is ConnectorPodFactory.buildMainContainer's configArgs:
// each pair as "--k v", joined with " " and prefixed with " " (Kotlin's
// joinToString writes the prefix even for no pairs). Pairs keep their order.
func OperationArgs(pairs ...[2]string) string {
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = "--" + p[0] + " " + p[1]
	}
	return " " + strings.Join(parts, " ")
}

// OperationScript is ContainerCommandFactory.connectorOperation: the main
// container's script of a spec, check or discover pod; stdout goes to
// configDir/jobOutput.json, which the sidecar reads.
func OperationScript(operation, configArgs, configDir string) string {
	return connectorCommandWrapper(kotlinTrimIndent(`
    eval "$AIRBYTE_ENTRYPOINT ` + operation + ` ` + configArgs + `" > ` + configDir + `/` + JobOutputFile + `
    `))
}

// OperationScriptFor returns the script the launcher builds for spec,
// check or discover (PodFactoryBeanFactory: check and discover get
// --config /config/connectionConfiguration.json, spec nothing).
func OperationScriptFor(operation string) string {
	args := OperationArgs()
	if operation != "spec" {
		args = OperationArgs([2]string{"config", ConfigDir + "/" + ConnectionConfigFile})
	}
	return OperationScript(operation, args, ConfigDir)
}

// kotlinTrimIndent is Kotlin's String.trimIndent (kotlin.text, Indent.kt):
// the smallest indent over the non-blank lines is cut from every line, and
// the first and last lines are dropped when blank. Like the Kotlin it runs
// on the interpolated text, so a multi-line value whose lines start at
// column 0 makes the common indent 0 and the template keeps its own.
func kotlinTrimIndent(s string) string {
	lines := strings.Split(s, "\n") // Kotlin lines() also splits \r\n; the templates have none
	minIndent := -1
	for _, l := range lines {
		if strings.TrimFunc(l, unicode.IsSpace) == "" {
			continue
		}
		w := len(l) - len(strings.TrimLeftFunc(l, unicode.IsSpace))
		if minIndent < 0 || w < minIndent {
			minIndent = w
		}
	}
	if minIndent < 0 {
		minIndent = 0
	}
	out := make([]string, 0, len(lines))
	for i, l := range lines {
		if (i == 0 || i == len(lines)-1) && strings.TrimFunc(l, unicode.IsSpace) == "" {
			continue
		}
		if len(l) >= minIndent {
			l = l[minIndent:] // String.drop(minCommonIndent)
		} else {
			l = ""
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
