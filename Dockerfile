# Splitline server image.
#
#   docker build -t splitline .
#   docker run -p 8080:8080 -e REDIS_ADDR=redis:6379 -e SPLITLINE_EVENT=boston-2015 \
#       -e SPLITLINE_ADMIN_TOKEN=... splitline
#
# Two stages: "build" compiles on Debian bookworm with the -dev packages of
# scripts/lib/packages.txt; the runtime stage holds only the shared libraries,
# what `cmake --install` puts in the prefix (the server, every client program
# and the web pages).  Redis is not in the image: give
# it one with REDIS_ADDR (HOST:PORT), configured like scripts/redis.conf
# (appendonly yes, appendfsync always) or acks are not durable; for a Redis
# Cluster, REDIS_ADDR is its seed nodes, HOST:PORT,HOST:PORT,...
#
# Several nodes: run several containers of this image against the same
# Redis (one node, one event loop, per container; scale containers rather
# than cores) and put haproxy in front, with scripts/deploy/haproxy.cfg
# (SL_NODE1=container1:8080 ...): it checks each node's /health as the
# HEALTHCHECK below does.  docs/deploy.md has the whole story.

FROM debian:bookworm-slim AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libuv1-dev libwebsockets-dev libwebsockets-evlib-uv libhiredis-dev \
      libmsgpack-dev libjansson-dev libyaml-dev libcsv-dev libssl-dev libqrencode-dev \
      libcairo2-dev libxlsxwriter-dev nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The web pages need the scanner page's QR decoder (npm jsqr, from
# clients/web/package-lock.json; node_modules is not in the build context)
# before `cmake --install` copies clients/web to share/splitline/web.
RUN cd clients/web && npm ci --no-audit --no-fund --loglevel=error
# Every program in /out/bin, the pages in /out/share/splitline/web (where an
# installed splitlined finds them by itself).
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DSL_WERROR=OFF \
 && cmake --build /build -j "$(nproc)" \
 && cmake --install /build --prefix /out \
 && for b in splitlined splitline splitline-replay splitline-reader splitline-scan \
      splitline-regatta splitline-emu; do test -x "/out/bin/$b" || { echo "missing $b" >&2; exit 1; }; done \
 && test -f /out/share/splitline/web/index.html \
 && test -f /out/share/splitline/web/node_modules/jsqr/package.json

FROM debian:bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
# The runtime halves of the -dev packages above (hiredis is the Redis client
# library; redis-tools brings redis-cli for health checks and debugging);
# tzdata: the zone files the CLI reads an event's clock times in;
# fonts-dejavu-core: the font of the server's PDF printouts (sans-serif).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libuv1 libwebsockets17 libwebsockets-evlib-uv libhiredis0.14 libmsgpackc2 \
      libjansson4 libyaml-0-2 libcsv3 libssl3 libqrencode4 libcairo2 libxlsxwriter4 \
      fonts-dejavu-core redis-tools ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/splitline --create-home splitline
COPY --from=build /out/ /usr/local/
COPY scripts/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV REDIS_ADDR=redis:6379 \
    SPLITLINE_EVENT=boston-2015 \
    SPLITLINE_PORT=8080 \
    SPLITLINE_WEB_ROOT=/usr/local/share/splitline/web
USER splitline
WORKDIR /var/lib/splitline
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${SPLITLINE_PORT} && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && grep -Eq '\"ok\": ?true' <&3"]
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
