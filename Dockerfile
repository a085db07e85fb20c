# syntax=docker/dockerfile:1
# Node 20: the version the tests run on (test/unit/packaging.test.ts keeps the two equal). Node 20 reaches end of
# life in April 2026; move the tests and this image to Node 22 or 24 together.
# Build: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime: production dependencies only, non-root numeric user, nothing written to the root filesystem.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY crds ./crds
USER 65532:65532
ENTRYPOINT ["node", "dist/cli/main.js"]
