"""A small EVM interpreter for the Stylus harness: runs the deployed bytecode
of the Solidity test fixtures (TestTaskReceiver, the engine's callback
fixture) beside the wasm programs, so that what the engine calls is the
fixture itself, not an emulation of it.

It implements the opcodes solc 0.8.30 emits for `evmVersion: cancun` (PUSH0,
MCOPY) with the gas rules the dev chain runs (revm, Osaka; for these
opcodes the same as Cancun): static costs, memory expansion, copy and hash
words, EIP-2929 cold and warm access (the world keeps the access sets),
EIP-2200/3529 SSTORE pricing against the slot's value at the start of the
transaction, EIP-150's 63/64 for calls, and an exceptional halt consuming
all gas. Refunds are not counted: only a transaction's total sees them, and
the harness reports no total. An opcode it does not model (value transfers,
CREATE, SELFDESTRUCT, block hashes, balances, TSTORE) raises HostError, so a
fixture that needs one fails loudly instead of running differently.

Calls out go back to the world (`World.invoke`), so a fixture's call into
the engine runs the wasm programs, and theirs into the fixture runs here.
"""

import os
import sys

from Crypto.Hash import keccak as _keccak

# DML_STYLUS_EVM_TRACE=1: say on stderr why a frame halted.
TRACE = bool(os.environ.get("DML_STYLUS_EVM_TRACE"))
U256_MOD = 1 << 256
U256_MAX = U256_MOD - 1
SIGN_BIT = 1 << 255
MAX_STACK = 1024

COLD_SLOAD = 2100
WARM_ACCESS = 100
COLD_ACCOUNT = 2600
SSTORE_SET = 20000
SSTORE_RESET = 2900
SSTORE_SENTRY = 2300

# Static gas of the opcodes without a dynamic part, by opcode.
STATIC_GAS = {
    0x00: 0,  # STOP
    0x01: 3, 0x02: 5, 0x03: 3, 0x04: 5, 0x05: 5, 0x06: 5, 0x07: 5, 0x08: 8, 0x09: 8, 0x0B: 5,
    0x10: 3, 0x11: 3, 0x12: 3, 0x13: 3, 0x14: 3, 0x15: 3, 0x16: 3, 0x17: 3, 0x18: 3, 0x19: 3,
    0x1A: 3, 0x1B: 3, 0x1C: 3, 0x1D: 3,
    0x30: 2, 0x32: 2, 0x33: 2, 0x34: 2, 0x35: 3, 0x36: 2, 0x38: 2, 0x3A: 2, 0x3D: 2,
    0x42: 2, 0x43: 2, 0x46: 2,
    0x50: 2, 0x56: 8, 0x57: 10, 0x58: 2, 0x59: 2, 0x5A: 2, 0x5B: 1, 0x5F: 2,
}


class Halt(Exception):
    """An exceptional halt: out of gas, a bad jump, stack trouble, INVALID.
    The frame fails with no output and all its gas gone."""


def signed(value):
    return value - U256_MOD if value & SIGN_BIT else value


def unsigned(value):
    return value % U256_MOD


def words(size):
    return (size + 31) // 32


def memory_cost(size_words):
    return 3 * size_words + size_words * size_words // 512


def jump_destinations(code):
    """The JUMPDEST offsets of `code` that are not inside PUSH data."""
    dests, pc = set(), 0
    while pc < len(code):
        op = code[pc]
        if op == 0x5B:
            dests.add(pc)
        pc += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return dests


class Contract:
    """Deployed runtime code and its jump table."""

    def __init__(self, code):
        self.code = bytes(code)
        self.jumpdests = jump_destinations(self.code)


class Interpreter:
    """One EVM frame of `contract` running as `address` (its storage, logs
    and calls are `world`'s). `run()` answers (outcome, output, gas_left),
    outcome being "return", "revert" or "halt"."""

    def __init__(self, world, contract, address, caller, calldata, value, gas, is_static):
        self.world, self.contract, self.address = world, contract, address
        self.caller, self.calldata, self.value = caller, bytes(calldata), value
        self.gas, self.given, self.is_static = gas, gas, is_static
        self.stack, self.memory, self.returndata = [], bytearray(), b""

    # ---- machine helpers ------------------------------------------------
    def use(self, amount):
        if amount > self.gas:
            self.gas = 0
            raise Halt("out of gas")
        self.gas -= amount

    def pop(self, count=1):
        if len(self.stack) < count:
            raise Halt("stack underflow")
        values = self.stack[-count:][::-1]
        del self.stack[-count:]
        return values

    def push(self, value):
        if len(self.stack) >= MAX_STACK:
            raise Halt("stack overflow")
        self.stack.append(value % U256_MOD)

    def expand(self, offset, size):
        """Charges and grows memory to cover [offset, offset + size)."""
        if size == 0:
            return
        end = offset + size
        if end > 1 << 32:
            raise Halt("memory out of range")
        if end > len(self.memory):
            new_words = words(end)
            self.use(memory_cost(new_words) - memory_cost(len(self.memory) // 32))
            self.memory.extend(b"\x00" * (new_words * 32 - len(self.memory)))

    def read_memory(self, offset, size):
        self.expand(offset, size)
        return bytes(self.memory[offset: offset + size]) if size else b""

    def write_memory(self, offset, data):
        self.expand(offset, len(data))
        self.memory[offset: offset + len(data)] = data

    def copy_cost(self, size):
        self.use(3 * words(size))

    def address_access(self, address):
        self.use(WARM_ACCESS if self.world.access_address(address) else COLD_ACCOUNT)

    def not_static(self):
        if self.is_static:
            raise Halt("state change in a static call")

    # ---- the loop ---------------------------------------------------------
    def run(self):
        try:
            outcome, output = self.execute()
            return outcome, output, self.gas
        except Halt as halt:
            if TRACE:
                print(f"evm.py: 0x{self.address.hex()} given {self.given} gas halted: {halt}", file=sys.stderr)
            return "halt", b"", 0

    def execute(self):
        code, pc = self.contract.code, 0
        world, address = self.world, self.address
        while True:
            op = code[pc] if pc < len(code) else 0x00
            pc += 1
            if op in STATIC_GAS:
                self.use(STATIC_GAS[op])
            if 0x60 <= op <= 0x7F:  # PUSH1..PUSH32
                size = op - 0x5F
                self.use(3)
                self.push(int.from_bytes(code[pc: pc + size].ljust(size, b"\x00"), "big"))
                pc += size
            elif 0x80 <= op <= 0x8F:  # DUP1..DUP16
                self.use(3)
                n = op - 0x7F
                if len(self.stack) < n:
                    raise Halt("stack underflow")
                self.push(self.stack[-n])
            elif 0x90 <= op <= 0x9F:  # SWAP1..SWAP16
                self.use(3)
                n = op - 0x8F
                if len(self.stack) <= n:
                    raise Halt("stack underflow")
                self.stack[-1], self.stack[-1 - n] = self.stack[-1 - n], self.stack[-1]
            elif op == 0x00:
                return "return", b""
            elif op <= 0x0B or 0x10 <= op <= 0x1D:
                self.arithmetic(op)
            elif op == 0x20:  # KECCAK256
                offset, size = self.pop(2)
                self.use(30 + 6 * words(size))
                self.push(int.from_bytes(keccak(self.read_memory(offset, size)), "big"))
            elif op == 0x30:
                self.push(int.from_bytes(address, "big"))
            elif op == 0x32:
                self.push(int.from_bytes(world.origin, "big"))
            elif op == 0x33:
                self.push(int.from_bytes(self.caller, "big"))
            elif op == 0x34:
                self.push(int.from_bytes(self.value, "big"))
            elif op == 0x35:  # CALLDATALOAD
                (offset,) = self.pop()
                chunk = self.calldata[offset: offset + 32] if offset < len(self.calldata) else b""
                self.push(int.from_bytes(chunk.ljust(32, b"\x00"), "big"))
            elif op == 0x36:
                self.push(len(self.calldata))
            elif op in (0x37, 0x39, 0x3E):  # CALLDATACOPY, CODECOPY, RETURNDATACOPY
                dest, offset, size = self.pop(3)
                self.use(3)
                source = {0x37: self.calldata, 0x39: code, 0x3E: self.returndata}[op]
                if op == 0x3E and offset + size > len(self.returndata):
                    raise Halt("return data out of bounds")
                self.copy_cost(size)
                chunk = source[offset: offset + size] if offset < len(source) else b""
                self.write_memory(dest, chunk.ljust(size, b"\x00"))
            elif op == 0x38:
                self.push(len(code))
            elif op == 0x3A:
                self.push(world.gas_price)
            elif op == 0x3B:  # EXTCODESIZE
                (target,) = self.pop()
                target = target.to_bytes(32, "big")[12:]
                self.address_access(target)
                self.push(world.code_size(target))
            elif op == 0x3D:
                self.push(len(self.returndata))
            elif op == 0x42:
                self.push(world.timestamp)
            elif op == 0x43:
                self.push(world.block_number)
            elif op == 0x46:
                self.push(world.chain_id)
            elif op == 0x50:
                self.pop()
            elif op == 0x51:  # MLOAD
                (offset,) = self.pop()
                self.use(3)
                self.push(int.from_bytes(self.read_memory(offset, 32), "big"))
            elif op == 0x52:  # MSTORE
                offset, value = self.pop(2)
                self.use(3)
                self.write_memory(offset, value.to_bytes(32, "big"))
            elif op == 0x53:  # MSTORE8
                offset, value = self.pop(2)
                self.use(3)
                self.write_memory(offset, bytes([value & 0xFF]))
            elif op == 0x54:  # SLOAD
                (key,) = self.pop()
                key = key.to_bytes(32, "big")
                self.use(WARM_ACCESS if world.access_slot(address, key) else COLD_SLOAD)
                self.push(int.from_bytes(world.load(address, key), "big"))
            elif op == 0x55:  # SSTORE
                self.not_static()
                key, value = self.pop(2)
                self.sstore(key.to_bytes(32, "big"), value.to_bytes(32, "big"))
            elif op == 0x56:  # JUMP
                (dest,) = self.pop()
                pc = self.jump(dest)
            elif op == 0x57:  # JUMPI
                dest, condition = self.pop(2)
                if condition:
                    pc = self.jump(dest)
            elif op == 0x58:
                self.push(pc - 1)
            elif op == 0x59:
                self.push(len(self.memory))
            elif op == 0x5A:
                self.push(self.gas)
            elif op == 0x5B:
                pass
            elif op == 0x5E:  # MCOPY
                dest, source, size = self.pop(3)
                self.use(3)
                self.copy_cost(size)
                self.expand(max(dest, source), size)
                self.memory[dest: dest + size] = self.memory[source: source + size]
            elif op == 0x5F:
                self.push(0)
            elif 0xA0 <= op <= 0xA4:  # LOG0..LOG4
                self.not_static()
                count = op - 0xA0
                offset, size = self.pop(2)
                topics = [t.to_bytes(32, "big") for t in self.pop(count)] if count else []
                self.use(375 * (count + 1) + 8 * size)
                world.emit(address, topics, self.read_memory(offset, size))
            elif op in (0xF1, 0xFA):  # CALL, STATICCALL
                self.call(op)
            elif op in (0xF3, 0xFD):  # RETURN, REVERT
                offset, size = self.pop(2)
                return ("return" if op == 0xF3 else "revert"), self.read_memory(offset, size)
            elif op == 0xFE:
                raise Halt("INVALID")
            else:
                world.unsupported(f"EVM opcode 0x{op:02x} is not modelled")

    def jump(self, dest):
        if dest not in self.contract.jumpdests:
            raise Halt("bad jump destination")
        return dest

    def arithmetic(self, op):
        if op in (0x15, 0x19):  # ISZERO, NOT
            (a,) = self.pop()
            self.push(int(a == 0) if op == 0x15 else a ^ U256_MAX)
            return
        if op in (0x08, 0x09):  # ADDMOD, MULMOD
            a, b, n = self.pop(3)
            self.push(0 if n == 0 else ((a + b) if op == 0x08 else (a * b)) % n)
            return
        a, b = self.pop(2)
        if op == 0x0A:  # EXP
            self.use(10 + 50 * ((b.bit_length() + 7) // 8))
            self.push(pow(a, b, U256_MOD))
        elif op == 0x01:
            self.push(a + b)
        elif op == 0x02:
            self.push(a * b)
        elif op == 0x03:
            self.push(a - b)
        elif op == 0x04:
            self.push(0 if b == 0 else a // b)
        elif op == 0x05:  # SDIV
            sa, sb = signed(a), signed(b)
            self.push(0 if sb == 0 else unsigned((abs(sa) // abs(sb)) * (-1 if (sa < 0) != (sb < 0) else 1)))
        elif op == 0x06:
            self.push(0 if b == 0 else a % b)
        elif op == 0x07:  # SMOD
            sa, sb = signed(a), signed(b)
            self.push(0 if sb == 0 else unsigned((abs(sa) % abs(sb)) * (-1 if sa < 0 else 1)))
        elif op == 0x0B:  # SIGNEXTEND
            if a < 31:
                bit = 8 * a + 7
                mask = (1 << bit) - 1
                self.push(b | (U256_MAX ^ mask) if b & (1 << bit) else b & mask)
            else:
                self.push(b)
        elif op == 0x10:
            self.push(int(a < b))
        elif op == 0x11:
            self.push(int(a > b))
        elif op == 0x12:
            self.push(int(signed(a) < signed(b)))
        elif op == 0x13:
            self.push(int(signed(a) > signed(b)))
        elif op == 0x14:
            self.push(int(a == b))
        elif op == 0x16:
            self.push(a & b)
        elif op == 0x17:
            self.push(a | b)
        elif op == 0x18:
            self.push(a ^ b)
        elif op == 0x1A:  # BYTE
            self.push((b >> (8 * (31 - a))) & 0xFF if a < 32 else 0)
        elif op == 0x1B:  # SHL
            self.push(b << a if a < 256 else 0)
        elif op == 0x1C:  # SHR
            self.push(b >> a if a < 256 else 0)
        elif op == 0x1D:  # SAR
            self.push(unsigned(signed(b) >> min(a, 256)))
        else:
            self.world.unsupported(f"EVM opcode 0x{op:02x} is not modelled")

    def sstore(self, key, value):
        """EIP-2200 with EIP-2929's cold surcharge and EIP-3529's prices."""
        if self.gas <= SSTORE_SENTRY:
            raise Halt("SSTORE with 2,300 gas or less")
        world, address = self.world, self.address
        cost = 0 if world.access_slot(address, key) else COLD_SLOAD
        current, original = world.load(address, key), world.original(address, key)
        if current == value or original != current:
            cost += WARM_ACCESS
        else:
            cost += SSTORE_SET if original == b"\x00" * 32 else SSTORE_RESET
        self.use(cost)
        world.sstore(address, key, value)

    def call(self, op):
        if op == 0xF1:
            gas_asked, target, value, in_offset, in_size, out_offset, out_size = self.pop(7)
        else:
            gas_asked, target, in_offset, in_size, out_offset, out_size = self.pop(6)
            value = 0
        if value:
            self.world.unsupported("value transfers are not modelled")
        target = target.to_bytes(32, "big")[12:]
        self.expand(in_offset, in_size)
        self.expand(out_offset, out_size)
        self.address_access(target)
        # EIP-150: all but a 64th of what is left after the call's own price.
        gas = min(gas_asked, self.gas - self.gas // 64)
        self.use(gas)
        calldata = bytes(self.memory[in_offset: in_offset + in_size])
        ok, output, gas_left = self.world.invoke(
            target, self.address, calldata, self.is_static or op == 0xFA, gas=gas)
        self.gas += gas_left
        self.returndata = output
        if out_size:
            self.memory[out_offset: out_offset + min(out_size, len(output))] = output[:out_size]
        self.push(int(ok))


def keccak(data):
    h = _keccak.new(digest_bits=256)
    h.update(bytes(data))
    return h.digest()
