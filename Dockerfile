# Build a wheel in one stage; install it into a slim image that runs as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY connectors ./connectors
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 bridge
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER bridge
WORKDIR /home/bridge
RUN mkdir data
VOLUME /home/bridge/data
ENV BRIDGE_DATABASE_URL=sqlite+aiosqlite:////home/bridge/data/bridge.db
EXPOSE 8000
# serve migrates on start. Binding 0.0.0.0 needs BRIDGE_API_TOKENS (the API is never open
# to the network by accident): docker run -e BRIDGE_API_TOKENS=... -p 8000:8000 issuebridge
CMD ["bridge", "serve", "--host", "0.0.0.0", "--port", "8000"]
