"""A Stylus host for the DML contracts, outside Arbitrum.

Runs the deployable wasm programs (as built by scripts/stylus-build.sh) under
wasmtime, with the `vm_hooks` host functions they import implemented over an
in-memory slot store: one storage map per contract address, a storage cache
flushed by `storage_flush_cache`, call frames whose writes and logs are undone
when the frame reverts (as Nitro does), and real cross-contract calls between
the programs, delegate calls included (the engine router runs its facets
that way), and to and from EVM code (a Solidity fixture's, run by evm.py)
and ERC-20s emulated in Python. It counts, per top-level call, the storage loads, the slots
flushed, the logs and the cross-contract calls. The chain id is the dev
chain's (31337, part of the token's EIP-712 domain), and the `ecrecover`
precompile at address 0x…01 answers calls as the EVM's does (libsecp256k1
through coincurve), so signed permits and delegations verify as on chain.

Protocol: one JSON object per line on stdin, one answer per line on stdout.

  {"op": "reset"}                      forget every program and slot
  {"op": "deploy", "address": "0x…", "wasm": "path"}
  {"op": "remove", "address": "0x…"}   the account has no code again
  {"op": "call", "to": "0x…", "from": "0x…", "data": "0x…",
   "block_number": n, "timestamp": t, "value": wei (optional), "gas": limit (optional)}
      -> {"ok": true|false, "output": "0x…", "logs": [{"address", "topics", "data"}],
          "counts": {"storage_loads", "storage_stores", "logs", "calls", "static_calls",
                     "delegate_calls"}}
  {"op": "storage", "address": "0x…"}  -> {"slots": {"0x<slot>": "0x<value>"}} (non-zero only)
  {"op": "imports", "wasm": "path"}    -> {"imports": ["vm_hooks.read_args", …]}
  {"op": "size", "wasm": "path"}       -> {"raw": bytes, "brotli": bytes}
  {"op": "deploy_erc20", "address": "0x…", "kind": "standard" | "false" | "nothing" | "reentrant"}
      an ERC-20 emulated in Python that answers
      as the Solidity test fixtures of crates/dml-governance/contracts/test/
      do, byte for byte (return data, OpenZeppelin's errors, logs): see Erc20.
  {"op": "deploy_evm", "address": "0x…", "code": "0x…"}
      EVM runtime code (a Solidity fixture as the dev chain deployed it, its
      immutables filled in), run by the interpreter in evm.py.

Gas: a call's gas limit (default 30,000,000) less the transaction's intrinsic
gas (21,000 and the calldata's 4 or 16 per byte) is the top frame's. The
wasm programs' own work is not metered (Nitro meters ink, which this harness
does not model), so `evm_gas_left` in a wasm frame is what it was given less
what its calls used; a call from a program forwards at most all but a 64th
of that (EIP-150, as Nitro caps it), and a delegate call too. EVM code is
metered as the EVM meters it (evm.py), with EIP-2929 access sets and the
slots' values at the start of the transaction kept per transaction, undone
with a reverted frame as the dev chain's journal undoes them. The addresses
holding programs are warm from the start, as the dev chain's engine and
token are (they are precompiles there). What a call costs the caller
besides the callee's gas (the access price Nitro charges a program's call)
is not charged, so a program measuring its callee with `evm_gas_left` sees
what the callee used, as the dev chain's engine does.

Transient storage (EIP-1153: `transient_load_bytes32`, `transient_store_bytes32`)
is kept per contract address, undone with a reverted frame and cleared after
each top-level call.

An unknown import, a trap or a malformed request answers {"error": "…"}.
"""

import json
import os
import sys

from coincurve import PublicKey
from Crypto.Hash import keccak
from wasmtime import Engine, FuncType, Linker, Module, Store, Trap, ValType, WasmtimeError

# No __pycache__ beside the harness (it runs from the source tree).
sys.dont_write_bytecode = True
import evm  # noqa: E402 (the interpreter beside this file)

I32 = ValType.i32()
I64 = ValType.i64()
ZERO32 = b"\x00" * 32
# Nitro caps a call's depth; the DML programs nest three deep (engine router,
# facet, token), six when a contract the engine calls calls it back.
MAX_DEPTH = 16
# The dev chain's id: the programs read it for the token's EIP-712 domain.
CHAIN_ID = 31337
ECRECOVER_ADDRESS = (1).to_bytes(20, "big")
# The dev chain's precompiles (Osaka: 0x01-0x11 and P256VERIFY at 0x100), warm in every transaction.
PRECOMPILES = [i.to_bytes(20, "big") for i in list(range(1, 0x12)) + [0x100]]
# A call's gas limit when the request names none.
DEFAULT_GAS = 30_000_000
# The order of secp256k1's group.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def keccak256(data):
    h = keccak.new(digest_bits=256)
    h.update(bytes(data))
    return h.digest()


def ecrecover(data):
    """The EVM's ecrecover precompile: input (digest, v, r, s), each a 32-byte
    word (zero-padded if short); output the signer's address as a word, or
    nothing when v is not 27 or 28 or the signature recovers no key."""
    data = bytes(data[:128]).ljust(128, b"\x00")
    digest, v, r, s = data[:32], int.from_bytes(data[32:64], "big"), data[64:96], data[96:]
    if v not in (27, 28):
        return b""
    if not all(0 < int.from_bytes(x, "big") < SECP256K1_N for x in (r, s)):
        return b""
    try:
        key = PublicKey.from_signature_and_message(r + s + bytes([v - 27]), digest, hasher=None)
    except ValueError:
        return b""
    return ZERO32[:12] + keccak256(key.format(compressed=False)[1:])[12:]


def selector(signature):
    return keccak256(signature.encode())[:4]


def word(value):
    return int(value).to_bytes(32, "big")


def address_word(address):
    return ZERO32[:12] + address


def encode_bytes(data):
    """The tail of a dynamic `bytes` value: its length, then the data padded to words."""
    data = bytes(data)
    return word(len(data)) + data + b"\x00" * (-len(data) % 32)


def topic(signature):
    return keccak256(signature.encode())


class Erc20:
    """An ERC-20 answering as the test fixtures do: `standard` as TestERC20
    (OpenZeppelin 5.x's ERC20 with `mint`), `false` and `nothing` as
    NonStandardToken (`transfer`/`transferFrom` return false and move nothing,
    or move and return no data), `reentrant` as ReentrantToken (its
    `transferFrom` first makes the call `setReentry` configured, records and
    logs it, and reverts with its revert data if told to propagate). Its state
    lives in the world's slot store under its address (in a layout of its
    own, not Solidity's), so a reverted frame undoes it like any other."""

    TRANSFER = topic("Transfer(address,address,uint256)")
    APPROVAL = topic("Approval(address,address,uint256)")
    REENTERED = topic("Reentered(address,bool,bytes)")
    MAX = (1 << 256) - 1

    def __init__(self, world, address, kind):
        if kind not in ("standard", "false", "nothing", "reentrant"):
            raise HostError(f"unknown ERC-20 kind {kind!r}")
        self.world, self.address, self.kind = world, address, kind
        self.gas = 0

    # ---- state in slots ---------------------------------------------------
    def key(self, *parts):
        return keccak256(b"".join(parts))

    def get(self, key):
        return int.from_bytes(self.world.load(self.address, key), "big")

    def put(self, key, value):
        self.world.sstore(self.address, key, word(value))

    def get_bytes(self, name):
        base = self.key(name)
        length = self.get(base)
        chunks = [self.world.load(self.address, self.key(base, word(i))) for i in range((length + 31) // 32)]
        return b"".join(chunks)[:length]

    def put_bytes(self, name, data):
        base = self.key(name)
        self.put(base, len(data))
        padded = data + b"\x00" * (-len(data) % 32)
        for i in range(len(padded) // 32):
            self.world.sstore(self.address, self.key(base, word(i)), padded[32 * i: 32 * i + 32])

    def balance_key(self, account):
        return self.key(b"balance", account)

    def allowance_key(self, owner, spender):
        return self.key(b"allowance", owner, spender)

    def log(self, topics, data):
        self.world.emit(self.address, topics, data)

    # ---- OpenZeppelin's ERC20 ------------------------------------------------
    class Revert(Exception):
        def __init__(self, data):
            self.data = data

    def error(self, signature, *words):
        raise Erc20.Revert(selector(signature) + b"".join(words))

    def transfer(self, sender, to, value):
        if sender == ZERO32[:20]:
            self.error("ERC20InvalidSender(address)", address_word(sender))
        if to == ZERO32[:20]:
            self.error("ERC20InvalidReceiver(address)", address_word(to))
        balance = self.get(self.balance_key(sender))
        if balance < value:
            self.error("ERC20InsufficientBalance(address,uint256,uint256)", address_word(sender), word(balance), word(value))
        self.put(self.balance_key(sender), balance - value)
        self.put(self.balance_key(to), self.get(self.balance_key(to)) + value)
        self.log([self.TRANSFER, address_word(sender), address_word(to)], word(value))

    def spend_allowance(self, owner, spender, value):
        current = self.get(self.allowance_key(owner, spender))
        if current != self.MAX:
            if current < value:
                self.error("ERC20InsufficientAllowance(address,uint256,uint256)", address_word(spender), word(current),
                           word(value))
            self.put(self.allowance_key(owner, spender), current - value)

    def transfer_from(self, spender, calldata):
        owner, to, value = calldata[16:36], calldata[48:68], int.from_bytes(calldata[68:100], "big")
        if self.kind == "reentrant":
            self.reenter()
        if self.kind == "false":
            return word(0)
        self.spend_allowance(owner, spender, value)
        self.transfer(owner, to, value)
        return b"" if self.kind == "nothing" else word(1)

    def reenter(self):
        target = self.world.load(self.address, self.key(b"target"))[12:]
        if target == ZERO32[:20]:
            return
        data = self.get_bytes(b"data")
        ok, output, _ = self.world.invoke(target, self.address, data, False, gas=self.gas - self.gas // 64)
        self.put(self.key(b"lastSuccess"), int(ok))
        self.put_bytes(b"lastReturnData", output)
        self.log([self.REENTERED, address_word(target)], word(int(ok)) + word(64) + encode_bytes(output))
        if not ok and self.get(self.key(b"propagate")):
            raise Erc20.Revert(output)

    def run(self, sender, calldata, is_static, gas):
        """One call with `gas` (what a call it makes may forward from): (succeeded, output)."""
        self.gas = gas
        sel, args = calldata[:4], calldata[4:]
        try:
            if sel == selector("balanceOf(address)"):
                return True, word(self.get(self.balance_key(args[12:32])))
            if sel == selector("allowance(address,address)"):
                return True, word(self.get(self.allowance_key(args[12:32], args[44:64])))
            if sel == selector("totalSupply()"):
                return True, word(self.get(self.key(b"supply")))
            if self.kind == "reentrant" and sel == selector("lastSuccess()"):
                return True, word(self.get(self.key(b"lastSuccess")))
            if self.kind == "reentrant" and sel == selector("lastReturnData()"):
                return True, word(32) + encode_bytes(self.get_bytes(b"lastReturnData"))
            if is_static:
                return False, b""
            if sel == selector("mint(address,uint256)"):
                to, value = args[12:32], int.from_bytes(args[32:64], "big")
                if to == ZERO32[:20]:
                    self.error("ERC20InvalidReceiver(address)", address_word(to))
                self.put(self.key(b"supply"), self.get(self.key(b"supply")) + value)
                self.put(self.balance_key(to), self.get(self.balance_key(to)) + value)
                self.log([self.TRANSFER, ZERO32, address_word(to)], word(value))
                return True, b""
            if sel == selector("approve(address,uint256)"):
                spender, value = args[12:32], int.from_bytes(args[32:64], "big")
                if spender == ZERO32[:20]:
                    self.error("ERC20InvalidSpender(address)", address_word(spender))
                self.put(self.allowance_key(sender, spender), value)
                self.log([self.APPROVAL, address_word(sender), address_word(spender)], word(value))
                return True, word(1)
            if sel == selector("transfer(address,uint256)"):
                if self.kind == "false":
                    return True, word(0)
                self.transfer(sender, args[12:32], int.from_bytes(args[32:64], "big"))
                return True, b"" if self.kind == "nothing" else word(1)
            if sel == selector("transferFrom(address,address,uint256)"):
                return True, self.transfer_from(sender, calldata)
            if self.kind == "reentrant" and sel == selector("setReentry(address,bytes,bool)"):
                target, offset, propagate = args[:32], int.from_bytes(args[32:64], "big"), args[64:96]
                length = int.from_bytes(args[offset: offset + 32], "big")
                self.world.sstore(self.address, self.key(b"target"), target)
                self.put_bytes(b"data", args[offset + 32: offset + 32 + length])
                self.world.sstore(self.address, self.key(b"propagate"), propagate)
                return True, b""
        except Erc20.Revert as revert:
            return False, revert.data
        # No such function (and no fallback): an empty revert, as Solidity's dispatcher gives.
        return False, b""


class HostError(Exception):
    """The program did something a Stylus host refuses."""


class Frame:
    """One program invocation: its contract, message and memory."""

    def __init__(self, address, sender, calldata, is_static, value=ZERO32, gas=0):
        self.address = address
        # Gas left: what the frame was given less what its calls used.
        self.gas = gas
        self.sender = sender
        self.value = value
        self.calldata = calldata
        self.is_static = is_static
        self.result = b""
        self.return_data = b""
        self.cache = {}
        self.memory = None


class World:
    def __init__(self):
        self.engine = Engine()
        self.modules = {}
        self.code_sizes = {}
        self.compiled = {}
        self.storage = {}
        self.transient = {}
        self.erc20s = {}
        self.evms = {}
        self.frames = []
        self.depth = 0
        # EIP-2929 access sets and the slots' values at the start of the transaction.
        self.warm_addresses, self.warm_slots, self.originals, self.access_undo = set(), set(), {}, []
        self.gas_price = 0
        self.chain_id = CHAIN_ID
        self.undo = []
        self.transient_undo = []
        self.logs = []
        self.block_number = 0
        self.timestamp = 0
        self.origin = b"\x00" * 20
        self.counts = None
        self.linker = Linker(self.engine)
        self._define_hooks()

    # ---- memory helpers ------------------------------------------------
    def _mem(self, caller):
        frame = self.frames[-1]
        if frame.memory is None:
            frame.memory = caller["memory"]
        return frame.memory

    def read(self, caller, ptr, length):
        return bytes(self._mem(caller).read(caller, ptr, ptr + length))

    def write(self, caller, ptr, data):
        self._mem(caller).write(caller, bytes(data), ptr)

    # ---- storage --------------------------------------------------------
    def load(self, address, key):
        return self.storage.get(address, {}).get(key, ZERO32)

    def sstore(self, address, key, value):
        """A write that a reverted frame undoes (the emulated ERC-20s' own)."""
        slots = self.storage.setdefault(address, {})
        self.undo.append((address, key, slots.get(key)))
        slots[key] = value
        self.counts["storage_stores"] += 1

    def original(self, address, key):
        """The slot's value at the start of the transaction (EIP-2200)."""
        if (address, key) not in self.originals:
            self.originals[(address, key)] = self.load(address, key)
        return self.originals[(address, key)]

    def access_slot(self, address, key):
        """Marks a slot accessed (EIP-2929); whether it already was."""
        if (address, key) in self.warm_slots:
            return True
        self.warm_slots.add((address, key))
        self.access_undo.append((self.warm_slots, (address, key)))
        return False

    def access_address(self, address):
        """Marks an account accessed (EIP-2929); whether it already was."""
        if address in self.warm_addresses:
            return True
        self.warm_addresses.add(address)
        self.access_undo.append((self.warm_addresses, address))
        return False

    def code_size(self, address):
        return self.code_sizes.get(address, 0)

    def emit(self, address, topics, data):
        self.logs.append((address, topics, data))
        self.counts["logs"] += 1

    def unsupported(self, what):
        raise HostError(what)

    def flush(self, frame):
        if frame.cache and frame.is_static:
            raise HostError("storage write in a static call")
        for key, value in frame.cache.items():
            slots = self.storage.setdefault(frame.address, {})
            self.undo.append((frame.address, key, slots.get(key)))
            slots[key] = value
            self.counts["storage_stores"] += 1
        frame.cache = {}

    # ---- hooks ------------------------------------------------------------
    def _define_hooks(self):
        w = self

        def hook(name, params, results, fn):
            w.linker.define_func("vm_hooks", name, FuncType(params, results), fn, access_caller=True)

        def read_args(caller, dest):
            w.write(caller, dest, w.frames[-1].calldata)

        def write_result(caller, ptr, length):
            w.frames[-1].result = w.read(caller, ptr, length)

        def storage_load_bytes32(caller, key_ptr, dest):
            frame = w.frames[-1]
            key = w.read(caller, key_ptr, 32)
            value = frame.cache.get(key)
            if value is None:
                value = w.load(frame.address, key)
                w.counts["storage_loads"] += 1
            w.write(caller, dest, value)

        def storage_cache_bytes32(caller, key_ptr, value_ptr):
            frame = w.frames[-1]
            frame.cache[w.read(caller, key_ptr, 32)] = w.read(caller, value_ptr, 32)

        def storage_flush_cache(caller, clear):
            w.flush(w.frames[-1])

        def emit_log(caller, ptr, length, topics):
            frame = w.frames[-1]
            if frame.is_static:
                raise HostError("log in a static call")
            if topics > 4 or length < 32 * topics:
                raise HostError("bad log")
            data = w.read(caller, ptr, length)
            w.logs.append((frame.address, [data[32 * i: 32 * i + 32] for i in range(topics)], data[32 * topics:]))
            w.counts["logs"] += 1

        def transient_load_bytes32(caller, key_ptr, dest):
            frame = w.frames[-1]
            key = w.read(caller, key_ptr, 32)
            w.write(caller, dest, w.transient.get(frame.address, {}).get(key, ZERO32))

        def transient_store_bytes32(caller, key_ptr, value_ptr):
            frame = w.frames[-1]
            if frame.is_static:
                raise HostError("transient storage write in a static call")
            key, value = w.read(caller, key_ptr, 32), w.read(caller, value_ptr, 32)
            slots = w.transient.setdefault(frame.address, {})
            w.transient_undo.append((frame.address, key, slots.get(key)))
            slots[key] = value

        def address_hook(get):
            def fn(caller, dest):
                w.write(caller, dest, get())
            return fn

        def call_contract(caller, contract, data, data_len, value, gas, ret_len):
            if w.read(caller, value, 32) != ZERO32:
                raise HostError("value transfers are not modelled")
            return do_call(caller, contract, data, data_len, gas, ret_len, False, "calls")

        def static_call_contract(caller, contract, data, data_len, gas, ret_len):
            return do_call(caller, contract, data, data_len, gas, ret_len, True, "static_calls")

        def delegate_call_contract(caller, contract, data, data_len, gas, ret_len):
            return do_call(caller, contract, data, data_len, gas, ret_len, False, "delegate_calls", delegate=True)

        def do_call(caller, contract, data, data_len, gas, ret_len, is_static, counter, delegate=False):
            frame = w.frames[-1]
            to = w.read(caller, contract, 20)
            calldata = w.read(caller, data, data_len)
            # Nitro persists the caller's cache before control leaves it.
            w.flush(frame)
            w.counts[counter] += 1
            # At most all but a 64th of what is left (EIP-150), as Nitro caps a
            # program's call. The gas argument is a u64 that wasmtime hands over as an i64.
            gas = min(gas % (1 << 64), frame.gas - frame.gas // 64)
            if to == ECRECOVER_ADDRESS and not delegate:
                ok, output, gas_left = True, ecrecover(calldata), gas
            elif delegate:
                # The callee's code runs as the caller: same storage, sender and value.
                ok, output, gas_left = w.invoke(frame.address, frame.sender, calldata, frame.is_static, code=to,
                                                value=frame.value, gas=gas)
            else:
                ok, output, gas_left = w.invoke(to, frame.address, calldata, is_static or frame.is_static, gas=gas)
            frame.gas -= gas - gas_left
            frame.return_data = output
            w.write(caller, ret_len, len(output).to_bytes(4, "little"))
            return 0 if ok else 1

        def read_return_data(caller, dest, offset, size):
            data = w.frames[-1].return_data
            chunk = data[min(offset, len(data)): min(offset + size, len(data))]
            w.write(caller, dest, chunk)
            return len(chunk)

        def native_keccak256(caller, ptr, length, out):
            w.write(caller, out, keccak256(w.read(caller, ptr, length)))

        hook("read_args", [I32], [], read_args)
        hook("write_result", [I32, I32], [], write_result)
        hook("storage_load_bytes32", [I32, I32], [], storage_load_bytes32)
        hook("storage_cache_bytes32", [I32, I32], [], storage_cache_bytes32)
        hook("storage_flush_cache", [I32], [], storage_flush_cache)
        hook("transient_load_bytes32", [I32, I32], [], transient_load_bytes32)
        hook("transient_store_bytes32", [I32, I32], [], transient_store_bytes32)
        hook("emit_log", [I32, I32, I32], [], emit_log)
        hook("msg_sender", [I32], [], address_hook(lambda: w.frames[-1].sender))
        hook("contract_address", [I32], [], address_hook(lambda: w.frames[-1].address))
        hook("tx_origin", [I32], [], address_hook(lambda: w.origin))
        hook("msg_value", [I32], [], lambda caller, dest: w.write(caller, dest, w.frames[-1].value))
        hook("msg_reentrant", [], [I32],
             lambda caller: int(sum(f.address == w.frames[-1].address for f in w.frames) > 1))
        hook("block_number", [], [I64], lambda caller: w.block_number)
        hook("block_timestamp", [], [I64], lambda caller: w.timestamp)
        hook("chainid", [], [I64], lambda caller: CHAIN_ID)
        hook("evm_gas_left", [], [I64], lambda caller: w.frames[-1].gas)
        hook("evm_ink_left", [], [I64], lambda caller: w.frames[-1].gas * 10_000)
        hook("pay_for_memory_grow", [I32], [], lambda caller, pages: None)
        hook("call_contract", [I32, I32, I32, I32, I64, I32], [I32], call_contract)
        hook("static_call_contract", [I32, I32, I32, I64, I32], [I32], static_call_contract)
        hook("delegate_call_contract", [I32, I32, I32, I64, I32], [I32], delegate_call_contract)
        hook("read_return_data", [I32, I32, I32], [I32], read_return_data)
        hook("return_data_size", [], [I32], lambda caller: len(w.frames[-1].return_data))
        hook("native_keccak256", [I32, I32, I32], [], native_keccak256)
        hook("account_code_size", [I32], [I32], lambda caller, address: w.code_size(w.read(caller, address, 20)))

    # ---- execution ----------------------------------------------------------
    def deploy(self, address, path):
        module = self.compiled.get(path)
        if module is None:
            module = self.compiled[path] = Module.from_file(self.engine, path)
        missing = [f"{i.module}.{i.name}" for i in module.imports if not self._defines(i.module, i.name)]
        if missing:
            raise HostError("the program imports host functions this harness lacks: " + ", ".join(missing))
        self.modules[address] = module
        self.code_sizes[address] = os.path.getsize(path)

    def deploy_evm(self, address, code):
        self.evms[address] = evm.Contract(code)
        self.code_sizes[address] = len(code)

    def remove(self, address):
        self.modules.pop(address, None)
        self.evms.pop(address, None)
        self.erc20s.pop(address, None)
        self.code_sizes.pop(address, None)

    def _defines(self, module, name):
        store = Store(self.engine)
        try:
            self.linker.get(store, module, name)
            return True
        except WasmtimeError:
            return False

    def invoke(self, to, sender, calldata, is_static, code=None, value=ZERO32, gas=0):
        """Runs one frame as contract `to` with `gas`: the program deployed
        at `code` (default `to`; another for a delegate call), EVM code, or
        an emulated ERC-20; returns (succeeded, output, gas left)."""
        # The callee is accessed by the call, in the caller's frame (a revert of the callee keeps it warm).
        self.access_address(to)
        mark = self.mark()
        if code is None and to in self.erc20s:
            ok, output = self.erc20s[to].run(sender, calldata, is_static, gas)
            if not ok:
                self.revert_to(mark)
            return ok, output, gas
        if code is None and to in self.evms:
            if self.depth >= MAX_DEPTH:
                return False, b"", gas
            self.depth += 1
            try:
                interpreter = evm.Interpreter(self, self.evms[to], to, sender, calldata, value, gas, is_static)
                outcome, output, gas_left = interpreter.run()
            finally:
                self.depth -= 1
            ok = outcome == "return"
            if not ok:
                self.revert_to(mark)
            return ok, output, gas_left
        module = self.modules.get(to if code is None else code)
        if module is None:
            # A call to an account without code succeeds with no output, as in the EVM.
            return True, b"", gas
        if self.depth >= MAX_DEPTH:
            return False, b"", gas
        frame = Frame(to, sender, calldata, is_static, value, gas)
        self.frames.append(frame)
        self.depth += 1
        try:
            store = Store(self.engine)
            instance = self.linker.instantiate(store, module)
            status = instance.exports(store)["user_entrypoint"](store, len(calldata))
            ok, output, gas_left = status == 0, frame.result, frame.gas
        except (Trap, WasmtimeError) as error:
            cause = error
            while cause is not None and not isinstance(cause, HostError):
                cause = cause.__cause__ or cause.__context__
            if cause is not None:
                raise cause
            ok, output, gas_left = False, b"", 0
        finally:
            self.frames.pop()
            self.depth -= 1
        if not ok:
            self.revert_to(mark)
        return ok, output, gas_left

    def mark(self):
        """Where a frame starts in each journal, for `revert_to`."""
        return len(self.undo), len(self.transient_undo), len(self.logs), len(self.access_undo)

    def revert_to(self, mark):
        """Undoes a reverted frame's writes, transient writes, logs and accesses."""
        undo_mark, transient_mark, log_mark, access_mark = mark
        for undo, store, start in ((self.undo, self.storage, undo_mark),
                                   (self.transient_undo, self.transient, transient_mark)):
            for address, key, old in reversed(undo[start:]):
                if old is None:
                    store[address].pop(key, None)
                else:
                    store[address][key] = old
            del undo[start:]
        del self.logs[log_mark:]
        for accessed, item in reversed(self.access_undo[access_mark:]):
            accessed.discard(item)
        del self.access_undo[access_mark:]

    def call(self, to, sender, calldata, block_number, timestamp, value=0, gas=DEFAULT_GAS):
        self.block_number, self.timestamp, self.origin = block_number, timestamp, sender
        self.counts = dict(storage_loads=0, storage_stores=0, logs=0, calls=0, static_calls=0, delegate_calls=0)
        self.undo, self.transient_undo, self.logs = [], [], []
        self.warm_addresses = {sender, *PRECOMPILES, *self.modules}
        self.warm_slots, self.originals, self.access_undo = set(), {}, []
        intrinsic = 21_000 + sum(16 if byte else 4 for byte in calldata)
        # Value is only carried as msg.value: the DML programs are non-payable
        # and refuse it, so no balances are modelled.
        ok, output, _ = self.invoke(to, sender, calldata, False, value=value.to_bytes(32, "big"),
                                    gas=max(gas - intrinsic, 0))
        logs = [
            {"address": hx(a), "topics": [hx(t) for t in topics], "data": hx(d)}
            for a, topics, d in self.logs
        ]
        if not ok:
            logs = []
        self.undo, self.transient_undo, self.transient = [], [], {}
        return {"ok": ok, "output": hx(output), "logs": logs, "counts": self.counts}


def hx(data):
    return "0x" + bytes(data).hex()


def unhex(text):
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


def handle(world, request):
    op = request.get("op")
    if op == "reset":
        world.storage, world.modules, world.code_sizes, world.erc20s, world.evms = {}, {}, {}, {}, {}
        world.transient = {}
        return {"ok": True}
    if op == "deploy_erc20":
        address = unhex(request["address"])
        world.erc20s[address] = Erc20(world, address, request["kind"])
        world.code_sizes[address] = 1
        return {"ok": True}
    if op == "deploy":
        world.deploy(unhex(request["address"]), request["wasm"])
        return {"ok": True}
    if op == "deploy_evm":
        world.deploy_evm(unhex(request["address"]), unhex(request["code"]))
        return {"ok": True}
    if op == "remove":
        world.remove(unhex(request["address"]))
        return {"ok": True}
    if op == "call":
        return world.call(
            unhex(request["to"]), unhex(request["from"]), unhex(request["data"]),
            int(request["block_number"]), int(request["timestamp"]), int(request.get("value", 0)),
            int(request.get("gas", DEFAULT_GAS)),
        )
    if op == "storage":
        slots = world.storage.get(unhex(request["address"]), {})
        return {"slots": {hx(k): hx(v) for k, v in sorted(slots.items()) if v != ZERO32}}
    if op == "size":
        import brotli
        raw = open(request["wasm"], "rb").read()
        # cargo-stylus compresses with brotli at quality 11, window 22.
        return {"raw": len(raw), "brotli": len(brotli.compress(raw, quality=11, lgwin=22))}
    if op == "imports":
        module = Module.from_file(world.engine, request["wasm"])
        return {"imports": [f"{i.module}.{i.name}" for i in module.imports],
                "exports": [e.name for e in module.exports]}
    raise HostError(f"unknown op {op!r}")


def main():
    world = World()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            answer = handle(world, json.loads(line))
        except (HostError, KeyError, ValueError, WasmtimeError) as error:
            answer = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
