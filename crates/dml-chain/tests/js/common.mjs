// Shared setup for the JavaScript client tests: the chain definition, the
// dev accounts, and the ABI fragments of the engine and token.
import { defineChain, parseAbi } from "viem";
import { mnemonicToAccount } from "viem/accounts";

export const rpcUrl = process.env.DML_RPC_URL;
export const wsUrl = process.env.DML_WS_URL;
if (!rpcUrl || !wsUrl) {
  throw new Error("set DML_RPC_URL and DML_WS_URL to the node's HTTP and WebSocket URLs");
}

export const devChain = defineChain({
  id: 31337,
  name: "DML dev chain",
  nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl], webSocket: [wsUrl] } },
});

const mnemonic = "test test test test test test test test test test test junk";
export const account = (index) => mnemonicToAccount(mnemonic, { addressIndex: index });

export const engineAbi = parseAbi([
  "function registerModel(address addr_, uint256 fee_, bytes template_) returns (bytes32)",
  "function submitTask(uint8 version_, address owner_, bytes32 model_, uint256 fee_, bytes input_) returns (bytes32)",
  "function tasks(bytes32 taskid) view returns (bytes32 model, uint256 fee, address owner, uint64 blocktime, uint8 version, bytes cid)",
  "event ModelRegistered(bytes32 indexed id)",
  "event TaskSubmitted(bytes32 indexed id, bytes32 indexed model, uint256 fee, address indexed sender)",
]);

export function check(condition, message) {
  if (!condition) {
    throw new Error(`check failed: ${message}`);
  }
}

export async function registerModel(wallet, publicClient, engine, fee) {
  const hash = await wallet.writeContract({
    address: engine,
    abi: engineAbi,
    functionName: "registerModel",
    args: [wallet.account.address, fee, "0x" + Buffer.from('{"name":"js-echo"}').toString("hex")],
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  check(receipt.status === "success", "registerModel succeeded");
  return receipt.logs[0].topics[1];
}
