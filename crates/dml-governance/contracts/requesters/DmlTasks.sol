// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base58} from "@openzeppelin/contracts/utils/Base58.sol";
import {Bytes} from "@openzeppelin/contracts/utils/Bytes.sol";

import {IDmlEngine} from "./IDmlEngine.sol";

/// @title DmlTasks: reading tasks and solutions from the DML engine, and building model inputs
/// @notice Helpers for contracts that request inference: a task's final solution, its seed, IPFS links of a
/// CIDv0 multihash, a JSON string escaper for building task inputs, and the UTF-8 and byte-search helpers a
/// contract needs to feed one task's output into the next.
/// @dev Every function is internal, so it is compiled into the contract that uses it (no library to link).
library DmlTasks {
    /// @notice A task's seed, which the solver feeds the model, is its id modulo this (as in Arbius; about 2^53).
    uint256 internal constant SEED_MODULUS = 0x1FFFFFFFFFFFF0;

    /// @notice `IDmlEngine.callbacks(taskid).status`: no callback.
    uint8 internal constant CALLBACK_NONE = 0;
    /// @notice `IDmlEngine.callbacks(taskid).status`: waiting for the task's final solution.
    uint8 internal constant CALLBACK_PENDING = 1;
    /// @notice `IDmlEngine.callbacks(taskid).status`: delivered.
    uint8 internal constant CALLBACK_DELIVERED = 2;
    /// @notice `IDmlEngine.callbacks(taskid).status`: the call reverted or ran out of gas (`retryCallback` may
    /// deliver it again).
    uint8 internal constant CALLBACK_FAILED = 3;
    /// @notice `IDmlEngine.callbacks(taskid).status`: the task was retracted or its solution lost a contestation;
    /// its fees went back to its owner and nothing will be delivered.
    uint8 internal constant CALLBACK_CANCELLED = 4;

    bytes16 private constant HEX_DIGITS = "0123456789abcdef";

    /// @notice `taskid` has no solution yet.
    error NoSolution(bytes32 taskid);
    /// @notice `taskid`'s solution is not final yet (not claimed: it may still be contested).
    error SolutionNotFinal(bytes32 taskid);

    /// @notice The CIDv0 multihash of `taskid`'s final solution.
    /// @dev Reverts with `NoSolution` or `SolutionNotFinal` unless the solution is final.
    /// @param engine The DML engine.
    /// @param taskid The task.
    /// @return cid The solution's CIDv0 multihash.
    function solutionCid(IDmlEngine engine, bytes32 taskid) internal view returns (bytes memory cid) {
        (address validator,, bool claimed, bytes memory solution) = engine.solutions(taskid);
        if (validator == address(0)) revert NoSolution(taskid);
        if (!claimed) revert SolutionNotFinal(taskid);
        return solution;
    }

    /// @notice Whether `taskid` has a final (claimed) solution.
    /// @param engine The DML engine.
    /// @param taskid The task.
    /// @return True once the solution is final and paid.
    function isFinal(IDmlEngine engine, bytes32 taskid) internal view returns (bool) {
        (,, bool claimed,) = engine.solutions(taskid);
        return claimed;
    }

    /// @notice The CIDv0 multihash of `taskid`'s input, as the engine recorded it.
    /// @param engine The DML engine.
    /// @param taskid The task.
    /// @return cid The input's CIDv0 multihash (empty: no such task).
    function inputCid(IDmlEngine engine, bytes32 taskid) internal view returns (bytes memory cid) {
        (,,,,, cid) = engine.tasks(taskid);
    }

    /// @notice The seed the solver feeds the model for `taskid`.
    /// @param taskid The task.
    /// @return `uint256(taskid) % 0x1FFFFFFFFFFFF0` (below 2^53, so exact as a JSON number).
    function seedOf(bytes32 taskid) internal pure returns (uint256) {
        return uint256(taskid) % SEED_MODULUS;
    }

    /// @notice The `ipfs://` URI of a CIDv0 multihash: `ipfs://` and its base58btc text (`Qm…`).
    /// @param cid The multihash bytes (0x12 0x20 and the sha256 digest).
    /// @return The URI.
    function ipfsUri(bytes memory cid) internal pure returns (string memory) {
        return string.concat("ipfs://", Base58.encode(cid));
    }

    /// @notice A gateway URL of a CIDv0 multihash: `base` followed by its base58btc text.
    /// @param base The gateway prefix, ending in `/ipfs/` (e.g. `http://127.0.0.1:8080/ipfs/`).
    /// @param cid The multihash bytes.
    /// @return The URL.
    function gatewayUrl(string memory base, bytes memory cid) internal pure returns (string memory) {
        return string.concat(base, Base58.encode(cid));
    }

    /// @notice Escapes bytes for the inside of a double-quoted JSON string (RFC 8259 §7): `"` becomes `\"`, `\`
    /// becomes `\\`, and every byte below 0x20 becomes `\u00xx` (lowercase hex); every other byte is copied.
    /// @dev Bytes of 0x80 and above pass through, so valid UTF-8 in gives valid JSON text out.
    /// @param input The raw text.
    /// @return output The escaped text (a new buffer).
    function jsonEscape(bytes memory input) internal pure returns (bytes memory output) {
        uint256 length = input.length;
        uint256 escapedLength = length;
        for (uint256 i = 0; i < length; ++i) {
            uint8 char = _byteAt(input, i);
            if (char < 0x20) {
                escapedLength += 5;
            } else if (char == 0x22 || char == 0x5c) {
                escapedLength += 1;
            }
        }
        output = new bytes(escapedLength);
        uint256 j = 0;
        for (uint256 i = 0; i < length; ++i) {
            uint8 char = _byteAt(input, i);
            if (char < 0x20) {
                _setByte(output, j, 0x5c); // \
                _setByte(output, j + 1, 0x75); // u
                _setByte(output, j + 2, 0x30); // 0
                _setByte(output, j + 3, 0x30); // 0
                _setByte(output, j + 4, uint8(HEX_DIGITS[char >> 4]));
                _setByte(output, j + 5, uint8(HEX_DIGITS[char & 0x0f]));
                j += 6;
            } else if (char == 0x22 || char == 0x5c) {
                _setByte(output, j, 0x5c);
                _setByte(output, j + 1, char);
                j += 2;
            } else {
                _setByte(output, j, char);
                j += 1;
            }
        }
    }

    /// @notice The last at most `maxBytes` bytes of `data`, starting at a UTF-8 character boundary: when `data` is
    /// longer, the cut moves forward past any continuation bytes (0b10xxxxxx), so no character is split.
    /// @param data The text (UTF-8).
    /// @param maxBytes The most bytes to keep.
    /// @return A copy of the tail.
    function utf8Tail(bytes memory data, uint256 maxBytes) internal pure returns (bytes memory) {
        uint256 length = data.length;
        uint256 start = length > maxBytes ? length - maxBytes : 0;
        while (start < length && (_byteAt(data, start) & 0xc0) == 0x80) {
            ++start;
        }
        return Bytes.slice(data, start);
    }

    /// @notice Whether `needle` occurs in `haystack` (an empty needle occurs everywhere).
    /// @param haystack The bytes searched.
    /// @param needle The bytes looked for.
    /// @return True if some window of `haystack` equals `needle`.
    function contains(bytes memory haystack, bytes memory needle) internal pure returns (bool) {
        uint256 needleLength = needle.length;
        if (needleLength == 0) return true;
        if (needleLength > haystack.length) return false;
        bytes32 needleHash = keccak256(needle);
        uint8 first = _byteAt(needle, 0);
        uint256 last = haystack.length - needleLength;
        for (uint256 i = 0; i <= last; ++i) {
            if (_byteAt(haystack, i) == first && _hashAt(haystack, i, needleLength) == needleHash) return true;
        }
        return false;
    }

    /// @notice Whether `data` is well-formed UTF-8 (RFC 3629 §4: no overlong forms, no surrogates, nothing above
    /// U+10FFFF, no truncated sequence).
    /// @param data The bytes.
    /// @return True if they are valid UTF-8.
    function isValidUtf8(bytes memory data) internal pure returns (bool) {
        uint256 length = data.length;
        uint256 i = 0;
        while (i < length) {
            uint8 lead = _byteAt(data, i);
            if (lead < 0x80) {
                ++i;
                continue;
            }
            uint256 continuations;
            // The range of the byte after the lead (RFC 3629 §4's table); later ones are 0x80..0xBF.
            uint8 low = 0x80;
            uint8 high = 0xbf;
            if (lead >= 0xc2 && lead <= 0xdf) {
                continuations = 1;
            } else if (lead >= 0xe0 && lead <= 0xef) {
                continuations = 2;
                if (lead == 0xe0) low = 0xa0;
                else if (lead == 0xed) high = 0x9f;
            } else if (lead >= 0xf0 && lead <= 0xf4) {
                continuations = 3;
                if (lead == 0xf0) low = 0x90;
                else if (lead == 0xf4) high = 0x8f;
            } else {
                return false;
            }
            if (i + continuations >= length) return false;
            uint8 second = _byteAt(data, i + 1);
            if (second < low || second > high) return false;
            for (uint256 k = 2; k <= continuations; ++k) {
                if ((_byteAt(data, i + k) & 0xc0) != 0x80) return false;
            }
            i += continuations + 1;
        }
        return true;
    }

    /// @dev `data[index]` without the bounds check; callers stay within `data.length`.
    function _byteAt(bytes memory data, uint256 index) private pure returns (uint8 value) {
        assembly ("memory-safe") {
            value := byte(0, mload(add(add(data, 0x20), index)))
        }
    }

    /// @dev `data[index] = value` without the bounds check; callers stay within `data.length`.
    function _setByte(bytes memory data, uint256 index, uint8 value) private pure {
        assembly ("memory-safe") {
            mstore8(add(add(data, 0x20), index), value)
        }
    }

    /// @dev keccak256 of `data[start:start + length]`; callers stay within `data.length`.
    function _hashAt(bytes memory data, uint256 start, uint256 length) private pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            hash := keccak256(add(add(data, 0x20), start), length)
        }
    }
}
