# syntax=docker/dockerfile:1
# The handbook as one static binary in a distroless image (no shell: the
# compose healthcheck runs `/handbook healthcheck`). Content, templates and
# static files are embedded, so the image needs nothing else.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /handbook ./cmd/handbook \
    && mkdir -p /data

# nonroot (uid 65532): /data is created owned by it, so a volume mounted
# there (or the container's own layer) is writable.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /handbook /handbook
COPY --from=build --chown=65532:65532 /data /data
# Inside a container the loopback default would be unreachable.
ENV HANDBOOK_ADDR=:8080 \
    HANDBOOK_DATA=/data
EXPOSE 8080
ENTRYPOINT ["/handbook"]
CMD ["serve"]
