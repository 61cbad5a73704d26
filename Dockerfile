# The sidecar alone, for docker-compose.yml ("team mode"). The bundle carries its dependencies,
# so the runtime image holds two files.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs --only sidecar

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /src/dist/sidecar.js /src/dist/node-sqlite3-wasm.wasm ./dist/
RUN mkdir /data && chown node:node /data
USER node
ENV RUNTRAIL_HOST=0.0.0.0 RUNTRAIL_PORT=7317 RUNTRAIL_DATA_DIR=/data
VOLUME /data
EXPOSE 7317
CMD ["node", "dist/sidecar.js"]
