// viem's EIP-712 signatures against the DML token on the dev chain: an
// EIP-2612 permit and an ERC-5805 delegateBySig signed with viem's
// signTypedData and submitted by a relayer; their replays and expired twins
// are refused with OpenZeppelin's custom errors, decoded by viem; a look-up
// of votes at the current time reverts with ERC5805FutureLookup.
import { BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, http, parseAbi, parseEther, parseSignature } from "viem";
import { account, check, devChain, rpcUrl } from "./common.mjs";

const tokenAbi = parseAbi([
  "function allowance(address owner, address spender) view returns (uint256)",
  "function nonces(address owner) view returns (uint256)",
  "function delegates(address account) view returns (address)",
  "function getVotes(address account) view returns (uint256)",
  "function getPastVotes(address account, uint256 timepoint) view returns (uint256)",
  "function balanceOf(address account) view returns (uint256)",
  "function clock() view returns (uint48)",
  "function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)",
  "function delegateBySig(address delegatee, uint256 nonce, uint256 expiry, uint8 v, bytes32 r, bytes32 s)",
  "error ERC5805FutureLookup(uint256 timepoint, uint48 clock)",
  "error VotesExpiredSignature(uint256 expiry)",
  "error InvalidAccountNonce(address account, uint256 currentNonce)",
  "error ERC2612ExpiredSignature(uint256 deadline)",
  "error ERC2612InvalidSigner(address signer, address owner)",
]);

const holder = account(3);
const relayer = account(4);
const spender = account(6).address;
const publicClient = createPublicClient({ chain: devChain, transport: http(rpcUrl) });
const wallet = createWalletClient({ account: relayer, chain: devChain, transport: http(rpcUrl) });
const { token } = await publicClient.request({ method: "dml_getContracts", params: [] });
const domain = { name: "DML", version: "1", chainId: 31337, verifyingContract: token };
const read = (functionName, args) => publicClient.readContract({ address: token, abi: tokenAbi, functionName, args });

async function send(functionName, args) {
  const { request } = await publicClient.simulateContract({ account: relayer, address: token, abi: tokenAbi, functionName, args });
  const hash = await wallet.writeContract(request);
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  check(receipt.status === "success", `${functionName} succeeded`);
}

// The custom error a call reverts with, as viem decodes it.
async function refusal(functionName, args) {
  try {
    await publicClient.simulateContract({ account: relayer, address: token, abi: tokenAbi, functionName, args });
  } catch (error) {
    const reverted = error instanceof BaseError && error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted) return reverted.data?.errorName;
    throw error;
  }
  throw new Error(`${functionName} was not refused`);
}

const split = (signature) => {
  const { r, s, v, yParity } = parseSignature(signature);
  return [Number(v ?? BigInt(27 + yParity)), r, s];
};
const now = Number((await publicClient.getBlock()).timestamp);

// Permit.
const value = parseEther("12");
const deadline = BigInt(now + 3600);
const permitTypes = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};
const signPermit = async (nonce, deadline) =>
  split(await holder.signTypedData({ domain, types: permitTypes, primaryType: "Permit", message: { owner: holder.address, spender, value, nonce, deadline } }));
const permitArgs = [holder.address, spender, value, deadline, ...(await signPermit(0n, deadline))];
await send("permit", permitArgs);
check((await read("allowance", [holder.address, spender])) === value, "the permit set the allowance");
check((await read("nonces", [holder.address])) === 1n, "the permit used nonce 0");
check((await refusal("permit", permitArgs)) === "ERC2612InvalidSigner", "a replayed permit is refused");
const past = BigInt(now - 1);
const expired = [holder.address, spender, value, past, ...(await signPermit(1n, past))];
check((await refusal("permit", expired)) === "ERC2612ExpiredSignature", "an expired permit is refused");

// delegateBySig (the nonce is shared with permit: now 1).
const delegationTypes = {
  Delegation: [
    { name: "delegatee", type: "address" },
    { name: "nonce", type: "uint256" },
    { name: "expiry", type: "uint256" },
  ],
};
const signDelegation = async (delegatee, nonce, expiry) =>
  split(await holder.signTypedData({ domain, types: delegationTypes, primaryType: "Delegation", message: { delegatee, nonce, expiry } }));
const delegatee = account(7).address;
const delegation = [delegatee, 1n, deadline, ...(await signDelegation(delegatee, 1n, deadline))];
await send("delegateBySig", delegation);
check((await read("delegates", [holder.address])) === delegatee, "the holder delegates by signature");
const balance = await read("balanceOf", [holder.address]);
check((await read("getVotes", [delegatee])) === balance, "the delegatee holds the holder's votes");
check((await refusal("delegateBySig", delegation)) === "InvalidAccountNonce", "a replayed delegation is refused");
const stale = [delegatee, 2n, past, ...(await signDelegation(delegatee, 2n, past))];
check((await refusal("delegateBySig", stale)) === "VotesExpiredSignature", "an expired delegation is refused");

// Votes can only be looked up in the past.
const clock = await read("clock", []);
try {
  await read("getPastVotes", [delegatee, BigInt(clock) + 10n]);
  throw new Error("a future look-up succeeded");
} catch (error) {
  const reverted = error instanceof BaseError && error.walk((e) => e instanceof ContractFunctionRevertedError);
  check(reverted?.data?.errorName === "ERC5805FutureLookup", `future look-up: ${error.message}`);
}

console.log(JSON.stringify({ ok: true }));
