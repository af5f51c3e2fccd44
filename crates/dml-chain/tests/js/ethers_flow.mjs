// ethers v6 against the node with the node's own keys: a JsonRpcSigner from
// provider.getSigner() sends ether (eth_sendTransaction), signs a message
// (personal_sign) and EIP-712 data (eth_signTypedData_v4), deploys a
// contract compiled with npm's solc, and a `contract.on('Transfer')`
// listener (eth_newFilter + eth_getFilterChanges) receives the token's event.
import { ethers } from "ethers";
import { contracts } from "./tool_contracts.mjs";
import { MNEMONIC, check, finish, methodsUsed, rpcUrl, step, until } from "./tools_common.mjs";

/// A JsonRpcProvider that records the methods it sends.
class RecordingProvider extends ethers.JsonRpcProvider {
  async _send(payload) {
    for (const call of [].concat(payload)) methodsUsed.add(call.method);
    return super._send(payload);
  }
}

const provider = new RecordingProvider(rpcUrl, undefined, { pollingInterval: 100 });
await step("getNetwork", async () => {
  const network = await provider.getNetwork();
  check(network.chainId === 31337n, `chain id 31337, got ${network.chainId}`);
});

const localWallet = (index) => ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`);
const me = localWallet(1);
const other = localWallet(2);

// provider.getSigner(index) reads eth_accounts: the node's dev account 1.
const signer = await step("getSigner", async () => {
  const got = await provider.getSigner(1);
  check(got instanceof ethers.JsonRpcSigner, "getSigner gives a JsonRpcSigner");
  check(got.address === me.address, `signer is dev account 1 (${me.address}), got ${got.address}`);
  return got;
});

// eth_sendTransaction: the node signs and fills what the signer left out.
const sent = await step("sendTransaction", async () => {
  const before = await provider.getBalance(other.address);
  const tx = await signer.sendTransaction({ to: other.address, value: ethers.parseEther("1.5") });
  const receipt = await provider.waitForTransaction(tx.hash, 1, 30_000);
  check(receipt && receipt.status === 1, "the transfer succeeded");
  check(receipt.from === me.address && receipt.to === other.address, "receipt from and to");
  const after = await provider.getBalance(other.address);
  check(after - before === ethers.parseEther("1.5"), `recipient gained 1.5 ETH, got ${after - before}`);
  const mined = await provider.getTransaction(tx.hash);
  check(mined.from === me.address && mined.value === ethers.parseEther("1.5"), "mined transaction from/value");
  return { hash: tx.hash, type: mined.type, gasLimit: mined.gasLimit, maxFeePerGas: mined.maxFeePerGas };
});

// personal_sign: the node's signature is the key's own (RFC 6979, so equal).
const message = "DML tool test: sign me";
await step("signMessage (personal_sign)", async () => {
  const signature = await signer.signMessage(message);
  check(ethers.verifyMessage(message, signature) === me.address, "verifyMessage recovers the signer");
  check(signature === (await me.signMessage(message)), "the node's personal_sign equals the local key's signature");
});

// eth_signTypedData_v4.
const domain = { name: "DML Tools", version: "1", chainId: 31337, verifyingContract: "0x000000000000000000000000000000000000dEaD" };
const types = {
  Mail: [
    { name: "from", type: "Person" },
    { name: "to", type: "Person" },
    { name: "contents", type: "string" },
    { name: "amount", type: "uint256" },
  ],
  Person: [
    { name: "name", type: "string" },
    { name: "wallet", type: "address" },
  ],
};
const mail = {
  from: { name: "Alice", wallet: me.address },
  to: { name: "Bob", wallet: other.address },
  contents: "hello",
  amount: 12345678901234567890n,
};
await step("signTypedData (eth_signTypedData_v4)", async () => {
  const typedSignature = await signer.signTypedData(domain, types, mail);
  check(ethers.verifyTypedData(domain, types, mail, typedSignature) === me.address, "verifyTypedData recovers the signer");
  check(typedSignature === (await me.signTypedData(domain, types, mail)), "eth_signTypedData_v4 equals the local key's signature");
});

// Deploy the token with the JsonRpcSigner (eth_sendTransaction with no `to`).
const supply = ethers.parseEther("1000");
const token = await step("deploy", async () => {
  const factory = new ethers.ContractFactory(contracts.ToolToken.abi, contracts.ToolToken.bytecode, signer);
  const deployed = await factory.deploy(supply);
  await deployed.waitForDeployment();
  check((await provider.getCode(await deployed.getAddress())).length > 2, "token code on chain");
  check((await deployed.balanceOf(me.address)) === supply, "deployer holds the supply");
  check((await deployed.symbol()) === "TOOL", "symbol()");
  return deployed;
});
const tokenAddress = await token?.getAddress();

// contract.on('Transfer'): ethers installs an eth_newFilter and polls it.
const event = await step("contract.on(Transfer)", async () => {
  let received = null;
  await token.on("Transfer", (from, to, value, payload) => {
    if (to === other.address) received = { from, to, value, payload };
  });
  // Let the filter install before the transfer is mined.
  await until("the Transfer filter to be installed", () => methodsUsed.has("eth_newFilter"), { timeout: 10_000 });
  const tx = await token.transfer(other.address, ethers.parseEther("7"));
  const receipt = await provider.waitForTransaction(tx.hash, 1, 30_000);
  check(receipt.status === 1, "token transfer succeeded");
  const got = await until("the Transfer event", () => received, { timeout: 30_000 });
  await token.removeAllListeners();
  check(got.from === me.address && got.value === ethers.parseEther("7"), "event arguments");
  check(got.payload.log.transactionHash === tx.hash, "the event is the transfer's log");
  check(methodsUsed.has("eth_getFilterChanges"), "ethers polled the filter with eth_getFilterChanges");
  check((await token.balanceOf(other.address)) === ethers.parseEther("7"), "recipient's token balance");
  return { transactionHash: tx.hash, blockNumber: got.payload.log.blockNumber };
});

// A reverting call surfaces as an ethers CALL_EXCEPTION.
await step("revert reason", async () => {
  let reverted = false;
  try {
    await token.transfer.staticCall(other.address, supply * 2n);
  } catch (error) {
    reverted = error.code === "CALL_EXCEPTION" && /ToolToken: balance/.test(error.reason ?? error.message);
  }
  check(reverted, "an over-balance transfer reverts with the contract's reason");
});

provider.destroy();
finish({ sent, token: tokenAddress, event });
