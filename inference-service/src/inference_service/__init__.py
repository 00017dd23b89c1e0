"""Credit-risk inference service: FastAPI app served by uvicorn or AWS Lambda (Mangum)."""

__version__ = "0.1.0"
