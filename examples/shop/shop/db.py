"""Connections: one Redis client and one SQL database for the whole app."""

import os

import redis
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

r = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)

engine = create_engine(os.environ["DATABASE_URL"])
SessionLocal = sessionmaker(engine)
