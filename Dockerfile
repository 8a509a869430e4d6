# streamguard: hub (`run`) or remote probe (`probe`). Multi-stage: build deps with the
# toolchain (better-sqlite3 compiles), ship only production node_modules and sources.
#
# One image, two roles (test/uplink/docker.test.ts runs these very commands outside a container):
#   hub (default CMD):  docker run -p 8080:8080 -v sg-data:/var/lib/streamguard \
#                         -v ./config.yaml:/etc/streamguard/config.yaml:ro -e STREAMGUARD_TOKEN_SG=... IMAGE
#   remote probe:       docker run -e STREAMGUARD_PROBE_TOKEN=... -v sg-spill:/var/lib/streamguard IMAGE \
#                         probe --hub wss://hub.example.com/probes --region sg --spill-dir /var/lib/streamguard/spill
# The probe only connects out (no port to publish).
# The image has no config of its own: the hub refuses to start until one is mounted at its --config
# path (src/container/entrypoint.ts). For -p to reach it, the config's hub.listen must be 0.0.0.0:PORT.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY probes ./probes
COPY config ./config
RUN mkdir -p /var/lib/streamguard && chown -R node:node /var/lib/streamguard
USER node
EXPOSE 8080
# A hub is healthy while /healthz answers on its config's hub.listen; a probe while its process runs.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "--import", "tsx", "src/container/healthcheck.ts"]
ENTRYPOINT ["node", "--import", "tsx", "src/container/entrypoint.ts"]
CMD ["run", "--config", "/etc/streamguard/config.yaml"]
