# fail loudly if entry point not set
if [ -z "$AIRBYTE_ENTRYPOINT" ]; then
  echo "Entrypoint was not set! AIRBYTE_ENTRYPOINT must be set in the container."
  exit 127
else
  echo "Using AIRBYTE_ENTRYPOINT: $AIRBYTE_ENTRYPOINT"
fi

# run connector in background and store PID
(eval "$AIRBYTE_ENTRYPOINT spec  " > /config/jobOutput.json) &
CHILD_PID=$!

# run busy loop in background that checks for termination file and if present kills the connector operation and exits
(while true; do if [ -f TERMINATED ]; then kill $CHILD_PID; exit 0; fi; sleep 10; done) &

# wait on connector operation
wait $CHILD_PID
EXIT_CODE=$?

# write its exit code to a file for the sidecar
echo $EXIT_CODE > TEMP_EXIT_CODE.txt
# use a swap file to make creation and writing atomic
mv TEMP_EXIT_CODE.txt exitCode.txt

# propagate connector exit code by assuming it
exit $EXIT_CODE