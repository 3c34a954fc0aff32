# icloudpd and icloud in a small Debian image; "Install" and "Running as a service" in the README.
#
#   docker build -t icloudpd-rs .
#   docker run --rm -it --init -v icloudpd-config:/config -v /srv/photos:/data \
#     icloudpd-rs --username me@example.com --auth-only
#
# Build arguments: RUST_VERSION; DEBIAN_RELEASE (the builder and the runtime image must be the
# same release: the binaries link against its glibc); ICLOUDPD_COMMIT_SHA and
# ICLOUDPD_COMMIT_TIMESTAMP, shown by `icloudpd --version` and in XMP sidecars (`unknown` when
# not given), e.g. --build-arg ICLOUDPD_COMMIT_SHA="$(git rev-parse --short HEAD)".
ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=trixie

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
# The slim Rust image has gcc and libc6-dev: enough for the bundled SQLite and ring.
WORKDIR /src
COPY . .
ARG ICLOUDPD_COMMIT_SHA
ARG ICLOUDPD_COMMIT_TIMESTAMP
RUN [ -n "${ICLOUDPD_COMMIT_SHA:-}" ] || unset ICLOUDPD_COMMIT_SHA; \
    [ -n "${ICLOUDPD_COMMIT_TIMESTAMP:-}" ] || unset ICLOUDPD_COMMIT_TIMESTAMP; \
    cargo build --release --locked -p icloudpd-cli -p icloud-keyring-cli

FROM debian:${DEBIAN_RELEASE}-slim
# ca-certificates: the system's TLS roots (icloudpd also carries the Mozilla roots). tzdata: dates
# and folders are in local time, and without it TZ=Europe/Paris would silently mean UTC. Neither is
# pinned to a version: both must follow Debian's updates, and old versions leave the archive.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1000 icloudpd \
    && useradd --uid 1000 --gid 1000 --home-dir /config --no-create-home \
        --shell /usr/sbin/nologin icloudpd \
    && mkdir -p /config /data \
    && chown 1000:1000 /config /data \
    && chmod 0700 /config
COPY --from=build /src/target/release/icloudpd /src/target/release/icloud /usr/local/bin/
COPY contrib/docker/healthcheck.sh /usr/local/bin/icloudpd-healthcheck

# /config: the session files (as in ~/.pyicloud), the sync state, and the keyring file that
# `icloud` writes ($XDG_DATA_HOME/python_keyring/keyring_pass.cfg, where docker-icloudpd keeps it
# too). /data: the photos. Every option can also be given as ICLOUDPD_<LONG_OPTION>; options on
# the command line take precedence. The metrics server listens on 127.0.0.1 inside the
# container, where the health check asks it.
ENV ICLOUDPD_COOKIE_DIRECTORY=/config \
    ICLOUDPD_DIRECTORY=/data \
    ICLOUDPD_METRICS_PORT=9090 \
    XDG_DATA_HOME=/config \
    HOME=/config
USER 1000:1000
WORKDIR /data
VOLUME ["/config", "/data"]

# `docker stop` sends SIGTERM, which icloudpd handles by stopping cleanly; an interrupted download
# resumes at the next run.
STOPSIGNAL SIGTERM
# Healthy while the last pass succeeded and is recent (watch mode); see contrib/docker/healthcheck.sh.
HEALTHCHECK --interval=1m --timeout=10s --start-period=2m --retries=3 \
    CMD ["/usr/local/bin/icloudpd-healthcheck"]
ENTRYPOINT ["/usr/local/bin/icloudpd"]
