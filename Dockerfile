# syntax=docker/dockerfile:1
# breachpath: static Go binary on distroless, running as a non-root user.
#   docker build -t breachpath:local .
# docker-compose.yml builds and runs it next to Neo4j (docs/deploy.md).

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# dependencies first: this layer is cached until go.mod or go.sum change
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# CGO off: the embedded store is pure Go (modernc.org/sqlite), so the binary
# is static and runs on distroless/static
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/breachpath ./cmd/breachpath \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/breachpath /usr/local/bin/breachpath
# the embedded store (when no Neo4j URI is set) lives here; mount a volume.
# WORKDIR alone would create it owned by root.
COPY --from=build --chown=nonroot:nonroot /out/data /data
WORKDIR /data
ENV BREACHPATH_DB=/data/breachpath.db
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/breachpath"]
CMD ["serve", "--listen", "0.0.0.0:8080"]
