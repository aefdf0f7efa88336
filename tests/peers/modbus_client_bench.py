"""The peer side of benches/modbus.rs and benches/modbus_pipeline.rs: N reads of COUNT holding registers
(4 unless given) at 0 with pymodbus' async client, one connection, one request at a time; prints reads/s
and latency percentiles as JSON.

Usage: modbus_client_bench.py PORT N [COUNT]
"""

import asyncio
import json
import sys
import time

from pymodbus.client import AsyncModbusTcpClient


async def main(port: int, n: int, count: int) -> None:
    client = AsyncModbusTcpClient("127.0.0.1", port=port)
    await client.connect()
    for _ in range(200):  # warm-up
        await client.read_holding_registers(0, count=count, device_id=1)
    lat = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        rr = await client.read_holding_registers(0, count=count, device_id=1)
        lat.append(time.perf_counter() - t0)
        assert not rr.isError()
    total = time.perf_counter() - start
    client.close()
    lat.sort()
    print(json.dumps({
        "reads_per_sec": n / total,
        "p50_us": lat[len(lat) // 2] * 1e6,
        "p99_us": lat[int(len(lat) * 0.99)] * 1e6,
    }))


if __name__ == "__main__":
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), count))
