# ticketd: built with the official Swift image, run on a slim Debian with only what the binary needs.
#   docker build -t ticketd .        (docker-compose.yml does this for the `app` and `seed` services)
ARG SWIFT_VERSION=6.3
# Debian 12, the release the project's machines run, so `make test-deploy` can check the package names below.
ARG DEBIAN_CODENAME=bookworm

# ---- build ------------------------------------------------------------------------------------------------------
FROM swift:${SWIFT_VERSION}-${DEBIAN_CODENAME} AS build
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends libhpdf-dev libqrencode-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# Dependencies first, so that a change to our sources does not fetch them again.
COPY Package.swift ./
RUN swift package resolve
COPY . .
# Release build with the Swift runtime linked in, so the runtime image needs no Swift toolchain.
RUN swift build -c release --product ticketd --static-swift-stdlib \
    && mkdir /staging \
    && cp "$(swift build -c release --show-bin-path)/ticketd" /staging/ \
    && find -L "$(swift build -c release --show-bin-path)" -maxdepth 1 -name '*.resources' -exec cp -Ra {} /staging/ \;

# ---- run --------------------------------------------------------------------------------------------------------
FROM debian:${DEBIAN_CODENAME}-slim
# libhpdf and libqrencode render the PDF tickets, DejaVu Sans is their font, curl is for HEALTHCHECK.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends libhpdf-2.3.0 libqrencode4 fonts-dejavu-core curl ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/*
# A user of its own; tickets/, logs/ and data/ (the fallback journal) belong to it, so named volumes mounted there do too.
RUN useradd --user-group --system --create-home --home-dir /app --shell /usr/sbin/nologin ticketd \
    && mkdir -p /app/tickets /app/logs /app/data \
    && chown -R ticketd:ticketd /app
WORKDIR /app
# The binary and the resource bundles (the Lua scripts) beside it, where Bundle.module looks.
COPY --from=build --chown=root:root /staging/ /usr/local/bin/
USER ticketd:ticketd
ENV PORT=3049 \
    PDF_OUTPUT_DIR=/app/tickets \
    LOG_FILE=
EXPOSE 3049
# /health is 200 while Redis (or the fallback) can sell and 503 when it cannot.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT}/health" || exit 1
# ticketd raises its open-files soft limit to the hard limit itself: give the container a high hard limit
# (docker run --ulimit nofile=65536:65536, or `ulimits` in docker-compose.yml) for thousands of connections.
# SIGTERM drains connections and settles before exit.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/ticketd"]
CMD ["serve"]
