FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libcairo2 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/qrforge
COPY pyproject.toml README.md ./
COPY app app
COPY workers workers
COPY qrforge qrforge
RUN pip install --no-cache-dir .
ENV QRFORGE_DATA_DIR=/var/lib/qrforge
EXPOSE 8000
CMD ["qrforge", "serve", "--host", "0.0.0.0", "--port", "8000"]
