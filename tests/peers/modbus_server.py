"""A pymodbus server with a known register map, for wellconsole's Modbus driver tests.

Usage: modbus_server.py PORT (TCP, listens on 127.0.0.1 only) or modbus_server.py --serial PATH [BAUD]
(RTU on a serial line, e.g. one end of a socat pty pair). Registers are computed here with `struct`
in the byte orders under test, independently of the Rust codec; two entries use pymodbus' own
FLOAT32/STRING conversions to check interoperability with its conventions.
"""

import asyncio
import struct
import sys

from pymodbus import FramerType
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice


def regs(fmt: str, *values) -> list[int]:
    """Big-endian registers (ABCD) for a struct format."""
    b = struct.pack(fmt, *values)
    return [int.from_bytes(b[i : i + 2], "big") for i in range(0, len(b), 2)]


def low_word_first(r: list[int]) -> list[int]:  # CDAB
    return list(reversed(r))


def swap_bytes(r: list[int]) -> list[int]:  # BADC
    return [((w & 0xFF) << 8) | (w >> 8) for w in r]


def block(address: int, values: list[int]) -> SimData:
    return SimData(address=address, values=values, datatype=DataType.REGISTERS)


holding = [
    block(0, regs(">H", 1234)),                              # hr:0 u16
    block(1, regs(">h", -2)),                                # hr:1 i16
    block(2, regs(">I", 100_000)),                           # hr:2 u32 ABCD
    block(4, low_word_first(regs(">f", 123.456))),           # hr:4 f32 CDAB
    block(6, regs(">d", -9876.5432)),                        # hr:6 f64 ABCD
    block(10, [0b0000_0000_0000_1010]),                      # hr:10 bits 1 and 3 set
    block(11, regs(">H", 16_000)),                           # hr:11 raw 0..32000 = 0..5000 psi
    SimData(address=12, values=3.25, datatype=DataType.FLOAT32),  # hr:12 f32, pymodbus' own encoding
    SimData(address=20, values="WELL-01 ", datatype=DataType.STRING),  # hr:20 str8, pymodbus' own
    block(30, [0, 0]),                                       # hr:30 f32 setpoint, written by the test
    block(40, [0]),                                          # hr:40 u16 written by the test
    block(41, [0]),                                          # hr:41 bits written by the test
]
inputs = [
    block(0, regs(">i", -123_456)),                          # ir:0 i32 ABCD
    block(2, swap_bytes(regs(">f", 2.5))),                   # ir:2 f32 BADC
    block(4, swap_bytes(low_word_first(regs(">f", -7.75)))),  # ir:4 f32 DCBA
]
coils = [SimData(address=0, values=[True, False, True, False], datatype=DataType.BITS)]
discrete = [SimData(address=0, values=[False, True], datatype=DataType.BITS)]

device = SimDevice(id=1, simdata=(coils, discrete, holding, inputs))

if __name__ == "__main__":
    if sys.argv[1] == "--serial":
        baud = int(sys.argv[3]) if len(sys.argv) > 3 else 19200
        asyncio.run(StartAsyncSerialServer(context=device, port=sys.argv[2], baudrate=baud, framer=FramerType.RTU))
    else:
        asyncio.run(StartAsyncTcpServer(context=device, address=("127.0.0.1", int(sys.argv[1]))))
