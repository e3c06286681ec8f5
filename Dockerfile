# syntax=docker/dockerfile:1
# hip-pain-cds: the CDS Hooks service (target runtime, the default) and the fixture loader (target loader).
#   docker build -t hip-pain-cds .                          # the service, on port 3000
#   docker build -t hip-pain-cds-loader --target loader .   # load-fixtures with fhir-fixtures
# The runtime image has production dependencies only and runs as the unprivileged `node` user (uid 1000), on
# Node 24 LTS (package.json `engines`; CI runs the suite on Node 24 too).

# --- build: every dependency (TypeScript, types); the runtime (src/) alone to dist/src -------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` compiles, and the sources are not here yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.runtime.json ./
COPY src ./src
RUN npx tsc -p tsconfig.runtime.json

# --- build-loader: the fixture loader and the burden report (tools/load-fixtures, tools/burden) ---------------
FROM build AS build-loader
COPY tools ./tools
RUN npx tsc tools/load-fixtures.ts tools/burden/cli.ts tools/burden/worker.ts --outDir dist --rootDir . \
      --module nodenext --moduleResolution nodenext --target es2022 --types node --skipLibCheck --resolveJsonModule --strict

# --- runtime: the service, production dependencies only ------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY hooks ./hooks
COPY cards ./cards
COPY valuesets ./valuesets
COPY config ./config
# The pathway site renders each topic's example card from its scenario patient (synthetic data).
COPY fhir-fixtures/scenarios ./fhir-fixtures/scenarios
RUN mkdir -p var && chown node:node var
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The Node options of `npm start` (docs/performance.md): --max-semi-space-size=8 (-20 MB peak RSS, same CPU) and
# --heap-growing-percent=250 (the old generation grows to 3.5x what survives a full collection, not 4x: -15 MB).
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=250", "dist/src/server.js"]

# --- loader: load-fixtures and the fixtures it loads into a FHIR server ---------------------------------------
FROM runtime AS loader
COPY --from=build-loader /app/dist/tools ./dist/tools
COPY fhir-fixtures/synthea ./fhir-fixtures/synthea
HEALTHCHECK NONE
CMD ["node", "dist/tools/load-fixtures.js", "--help"]
