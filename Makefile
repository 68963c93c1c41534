# radar-connectors: source-mysql-radar and destination-s3-parquet.
#
#   make demo    run a complete sync on the built-in demo (only Go needed)
#   make test    run every test (needs MariaDB; .ci/run starts one)

VERSION ?= 0.1.0
IMAGE_PREFIX ?= cognitivo
GO      ?= go
BIN     := bin
LDFLAGS := -s -w -X main.version=$(VERSION)
MODULES := protocol source-mysql-radar destination-s3-parquet integration_tests

.PHONY: proto all build test test-short bench demo lint fmt acceptance acceptance-images docker images clean fuzz

all: build

build: $(BIN)/source-mysql-radar $(BIN)/destination-s3-parquet $(BIN)/airbyte-sync

# The connectors are built exactly as the Dockerfiles build them: each module
# on its own (GOWORK=off), static (CGO_ENABLED=0), trimmed paths.
$(BIN)/source-mysql-radar: FORCE
	cd source-mysql-radar && GOWORK=off CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o ../$(BIN)/source-mysql-radar .

$(BIN)/destination-s3-parquet: FORCE
	cd destination-s3-parquet && GOWORK=off CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o ../$(BIN)/destination-s3-parquet .

# The runner (protocol/cmd/airbyte-sync): source read | destination write
# with state kept between runs, as the platform runs them.
$(BIN)/airbyte-sync: FORCE
	cd protocol && GOWORK=off CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o ../$(BIN)/airbyte-sync ./cmd/airbyte-sync

FORCE:

# Every module's tests. Integration tests find the binaries in bin/ (built
# first) and MariaDB on 127.0.0.1:3306 (override with MYSQL_TEST_ADDR).
# A test skipped because a service is missing (protocol/testenv) is logged
# to RADAR_SKIP_LOG; the last line sums them up (RADAR_REQUIRE_SERVICES=1
# or CI=true turns those skips into failures).
SKIP_LOG := $(CURDIR)/$(BIN)/test-skips.log
test: build
	@rm -f $(SKIP_LOG); status=0; \
	for m in $(MODULES); do \
		echo "== go test $$m"; \
		(cd $$m && RADAR_SKIP_LOG=$(SKIP_LOG) $(GO) test -count=1 -timeout 40m ./...) || { status=1; break; }; \
	done; \
	(cd protocol && $(GO) run ./testenv/skipsummary $(SKIP_LOG) $(CURDIR)); \
	exit $$status

test-short:
	@for m in $(MODULES); do (cd $$m && $(GO) test -short -count=1 ./...) || exit 1; done

# Longer fuzzing of the input parsers (make test runs only their corpora
# under testdata/fuzz). New failing inputs are written there by go test;
# FUZZTIME is per target.
FUZZTIME ?= 2m
fuzz:
	cd protocol && $(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) .
	cd protocol && $(GO) test -run '^$$' -fuzz '^FuzzSkipValue$$' -fuzztime $(FUZZTIME) ./jsonx/
	cd destination-s3-parquet && $(GO) test -run '^$$' -fuzz '^FuzzAppend$$' -fuzztime $(FUZZTIME) ./internal/appender/
	cd source-mysql-radar && $(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/ddl/
	cd source-mysql-radar && $(GO) test -run '^$$' -fuzz '^FuzzParseType$$' -fuzztime $(FUZZTIME) ./internal/ddl/

bench: build
	cd integration_tests && $(GO) run ./cmd/bench $(BENCH_ARGS)

demo: build
	cd integration_tests && $(GO) run ./cmd/demo $(DEMO_ARGS)

# The connector acceptance suites (Airbyte's CAT, in Go) against MariaDB.
# Against any binary: cd integration_tests && go run ./cmd/acceptance -h
acceptance: build
	cd integration_tests && $(GO) test -count=1 -v -run Acceptance ./acceptance/

# The same suites against the images (`make images`), each run through its
# ENTRYPOINT as Airbyte's CAT does, as uid 1000 with no capabilities.
acceptance-images: images
	cd integration_tests && RADAR_SOURCE_IMAGE=$(IMAGE_PREFIX)/source-mysql-radar:$(VERSION) \
		RADAR_DESTINATION_IMAGE=$(IMAGE_PREFIX)/destination-s3-parquet:$(VERSION) \
		$(GO) test -count=1 -v -run Acceptance ./acceptance/

lint:
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@for m in $(MODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done

fmt:
	gofmt -w $(MODULES)

docker:
	docker build -f Dockerfile.source --build-arg VERSION=$(VERSION) -t $(IMAGE_PREFIX)/source-mysql-radar:$(VERSION) .
	docker build -f Dockerfile.destination --build-arg VERSION=$(VERSION) -t $(IMAGE_PREFIX)/destination-s3-parquet:$(VERSION) .

# Both images without any registry (the case on these machines and in CI):
# .docker/local-bases.sh makes the base images from Debian packages and this
# machine's Go toolchain (once; it skips tags that exist), then the classic
# builder builds the same Dockerfiles as `make docker` on them, pulling
# nothing. Go modules come from the Go module proxy.
images:
	@set -e; bases=$$(GO='$(GO)' .docker/local-bases.sh); eval "$$bases"; \
	for c in source:source-mysql-radar destination:destination-s3-parquet; do \
		echo "== docker build Dockerfile.$${c%%:*} on $$BUILD_IMAGE, $$RUNTIME_IMAGE"; \
		DOCKER_BUILDKIT=0 docker build --pull=false -f Dockerfile.$${c%%:*} \
			--build-arg BUILD_IMAGE=$$BUILD_IMAGE --build-arg RUNTIME_IMAGE=$$RUNTIME_IMAGE \
			--build-arg VERSION=$(VERSION) $(IMAGES_BUILD_ARGS) -t $(IMAGE_PREFIX)/$${c#*:}:$(VERSION) . ; \
	done

clean:
	rm -rf $(BIN)

# Regenerate the data channel's protobuf code (needs protoc and
# protoc-gen-go v1.36.12: go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12).
proto:
	cd protocol/datachannel/pb && PATH="$$PATH:$$($(GO) env GOPATH)/bin" protoc --go_out=. --go_opt=paths=source_relative datachannel.proto
