# livesell in a container: the wheel installed into a slim Python, run as a non-root user.
#   docker build -t livesell .
#   docker run -p 8080:8080 -v livesell-data:/data livesell serve --demo
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY livesell ./livesell
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /dist .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    LIVESELL_HOST=0.0.0.0 LIVESELL_PORT=8080 LIVESELL_DATA_DIR=/data LIVESELL_LOG_FORMAT=json
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm /tmp/*.whl \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin livesell \
    && mkdir -p /data && chown livesell /data && chmod 0700 /data
USER livesell
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os,sys,urllib.request as u; u.urlopen(f\"http://127.0.0.1:{os.environ.get('LIVESELL_PORT','8080')}/healthz\", timeout=2); sys.exit(0)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["livesell"]
CMD ["serve"]
