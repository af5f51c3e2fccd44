//! Uniswap V2's published builds (`@uniswap/v2-core` 1.0.1,
//! `@uniswap/v2-periphery` 1.1.0-beta.0, copied unmodified into `artifacts/`):
//! `sol!` bindings for the functions DML's liquidity staking needs, and the
//! CREATE2 address of a pair.
//!
//! Only the functions and events we call or read are declared; the crate's
//! tests check each against the artifact's ABI (selector and return types).

use alloy_primitives::{keccak256, Address};

use crate::UNISWAP_V2_PAIR_INIT_CODE_HASH;

alloy_sol_types::sol! {
    /// `UniswapV2Factory`: creates one pair per token pair, with CREATE2.
    #[derive(Debug, PartialEq, Eq)]
    interface IUniswapV2Factory {
        /// A pair was created; `index` is its 1-based position in `allPairs`.
        event PairCreated(address indexed token0, address indexed token1, address pair, uint256 index);
        /// Creates the pair of `tokenA` and `tokenB` (either order); reverts if it exists.
        function createPair(address tokenA, address tokenB) external returns (address pair);
        /// The pair of two tokens (either order), or address zero.
        function getPair(address tokenA, address tokenB) external view returns (address pair);
        /// How many pairs exist.
        function allPairsLength() external view returns (uint256);
    }

    /// `UniswapV2Pair`: the pool of two tokens and its ERC-20 LP token.
    #[derive(Debug, PartialEq, Eq)]
    interface IUniswapV2Pair {
        /// The reserves were updated to the pair's balances.
        event Sync(uint112 reserve0, uint112 reserve1);
        /// The reserves as of the last update, and that update's block timestamp (mod 2³²).
        function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
        /// The token with the lower address.
        function token0() external view returns (address);
        /// The token with the higher address.
        function token1() external view returns (address);
        /// `owner`'s LP tokens.
        function balanceOf(address owner) external view returns (uint256);
        /// All LP tokens, the 1,000 locked at address zero included.
        function totalSupply() external view returns (uint256);
        /// Lets `spender` move `value` of the caller's LP tokens.
        function approve(address spender, uint256 value) external returns (bool);
        /// Moves `value` LP tokens to `to`.
        function transfer(address to, uint256 value) external returns (bool);
        /// Mints LP tokens to `to` for the tokens sent to the pair since the last update.
        function mint(address to) external returns (uint256 liquidity);
        /// Sets the reserves to the balances.
        function sync() external;
    }

    /// `UniswapV2Router02`: adds and removes liquidity and swaps, with deadlines and slippage bounds.
    #[derive(Debug, PartialEq, Eq)]
    interface IUniswapV2Router02 {
        /// The factory whose pairs it uses.
        function factory() external view returns (address);
        /// The WETH it wraps ETH with.
        function WETH() external view returns (address);
        /// Adds liquidity to the pair of two tokens (created if missing); the LP tokens go to `to`.
        function addLiquidity(address tokenA, address tokenB, uint256 amountADesired, uint256 amountBDesired, uint256 amountAMin, uint256 amountBMin, address to, uint256 deadline) external returns (uint256 amountA, uint256 amountB, uint256 liquidity);
        /// Adds liquidity to the `token`/WETH pair with the ETH sent (the unused rest is refunded).
        function addLiquidityETH(address token, uint256 amountTokenDesired, uint256 amountTokenMin, uint256 amountETHMin, address to, uint256 deadline) external payable returns (uint256 amountToken, uint256 amountETH, uint256 liquidity);
        /// Burns `liquidity` LP tokens of the `token`/WETH pair for the token and ETH.
        function removeLiquidityETH(address token, uint256 liquidity, uint256 amountTokenMin, uint256 amountETHMin, address to, uint256 deadline) external returns (uint256 amountToken, uint256 amountETH);
        /// Swaps the ETH sent along `path` (starting at WETH) for at least `amountOutMin` of its last token.
        function swapExactETHForTokens(uint256 amountOutMin, address[] calldata path, address to, uint256 deadline) external payable returns (uint256[] memory amounts);
        /// Swaps `amountIn` of `path`'s first token for at least `amountOutMin` ETH (`path` ends at WETH).
        function swapExactTokensForETH(uint256 amountIn, uint256 amountOutMin, address[] calldata path, address to, uint256 deadline) external returns (uint256[] memory amounts);
        /// The amounts a swap of `amountIn` along `path` gives at the current reserves (0.3 % fee per hop).
        function getAmountsOut(uint256 amountIn, address[] memory path) external view returns (uint256[] memory amounts);
        /// `amountA · reserveB / reserveA`: the amount of B worth `amountA` of A, without fee.
        function quote(uint256 amountA, uint256 reserveA, uint256 reserveB) external pure returns (uint256 amountB);
    }

    /// `WETH9`: wrapped ETH.
    #[derive(Debug, PartialEq, Eq)]
    interface IWETH9 {
        /// Wraps the ETH sent.
        function deposit() external payable;
        /// Unwraps `wad` WETH into ETH.
        function withdraw(uint256 wad) external;
        /// `owner`'s WETH.
        function balanceOf(address owner) external view returns (uint256);
        /// Lets `guy` move `wad` of the caller's WETH.
        function approve(address guy, uint256 wad) external returns (bool);
    }
}

/// The address `factory` creates the pair of `token_a` and `token_b` at
/// (either order): CREATE2 with salt `keccak256(token0 . token1)` and the
/// pair's init-code hash, as `UniswapV2Library.pairFor` computes it.
///
/// ```
/// use dml_governance::{uniswap_pair_address, alloy_primitives::Address};
///
/// let (a, b, factory) = (Address::repeat_byte(1), Address::repeat_byte(2), Address::repeat_byte(3));
/// assert_eq!(uniswap_pair_address(factory, a, b), uniswap_pair_address(factory, b, a));
/// ```
pub fn uniswap_pair_address(factory: Address, token_a: Address, token_b: Address) -> Address {
    let (token0, token1) = if token_a < token_b { (token_a, token_b) } else { (token_b, token_a) };
    let mut packed = [0u8; 40];
    packed[..20].copy_from_slice(token0.as_slice());
    packed[20..].copy_from_slice(token1.as_slice());
    factory.create2(keccak256(packed), UNISWAP_V2_PAIR_INIT_CODE_HASH)
}
