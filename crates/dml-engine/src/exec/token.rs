//! The DML token's ledger: ERC-20 calls, balances (the engine's own in the
//! supply word), transfers and the engine's mints. Votes move with every
//! transfer and mint (see `votes`).

use super::*;

impl<S: Storage> Exec<'_, '_, S> {
    pub(super) fn token_call(&mut self, calldata: &[u8]) -> Result<Vec<u8>> {
        use IDmlToken::IDmlTokenCalls as C;
        if calldata.len() < 4 {
            return Err("missing function selector");
        }
        let decoded = match C::abi_decode_validate(calldata) {
            Ok(call) => call,
            Err(alloy_sol_types::Error::UnknownSelector { .. }) => return Err("unknown function selector"),
            Err(_) => return Err("invalid calldata"),
        };
        let sender = self.ctx.sender;
        Ok(match decoded {
            C::name(_) => ("DML".to_string(),).abi_encode_params(),
            C::symbol(_) => ("DML".to_string(),).abi_encode_params(),
            C::decimals(_) => U256::from(18u8).abi_encode(),
            C::totalSupply(_) => {
                let word = self.supply_word();
                get(word, field::TOTAL_SUPPLY).abi_encode()
            }
            C::cap(_) => MAX_SUPPLY.abi_encode(),
            C::engine(_) => self.ctx.contracts.engine.abi_encode(),
            C::balanceOf(c) => self.balance(c.account).abi_encode(),
            C::allowance(c) => self.j.load(Contract::Token, allowance_slot(c.owner, c.spender)).abi_encode(),
            C::transfer(c) => {
                self.token_transfer(sender, c.to, c.amount)?;
                true.abi_encode()
            }
            C::approve(c) => {
                self.approve(sender, c.spender, c.amount)?;
                true.abi_encode()
            }
            C::transferFrom(c) => {
                let slot = allowance_slot(c.from, sender);
                let allowance = self.j.load(Contract::Token, slot);
                if allowance < c.amount {
                    return Err("ERC20: insufficient allowance");
                }
                if allowance != U256::MAX {
                    self.j.store(Contract::Token, slot, allowance - c.amount);
                }
                self.token_transfer(c.from, c.to, c.amount)?;
                true.abi_encode()
            }
            C::clock(_) => alloy_primitives::aliases::U48::from(self.clock()).abi_encode(),
            C::CLOCK_MODE(_) => ("mode=timestamp",).abi_encode_params(),
            C::delegates(c) => self.delegatee(c.account).abi_encode(),
            C::getVotes(c) => self.votes(c.account).abi_encode(),
            C::getPastVotes(c) => self.past_votes(c.account, c.timepoint)?.abi_encode(),
            C::getPastTotalSupply(c) => self.past_total_supply(c.timepoint)?.abi_encode(),
            C::numCheckpoints(c) => self.checkpoint_count_of(c.account).abi_encode(),
            C::checkpoints(c) => self.checkpoint_of(c.account, c.pos)?.abi_encode(),
            C::delegate(c) => {
                self.delegate(sender, c.delegatee)?;
                Vec::new()
            }
            C::delegateBySig(c) => {
                let signature = signatures::Signature { v: c.v, r: c.r, s: c.s };
                self.delegate_by_sig(c.delegatee, c.nonce, c.expiry, &signature)?;
                Vec::new()
            }
            C::nonces(c) => self.nonce(c.owner).abi_encode(),
            C::DOMAIN_SEPARATOR(_) => self.domain_separator().abi_encode(),
            C::eip712Domain(_) => self.eip712_domain(),
            C::permit(c) => {
                let signature = signatures::Signature { v: c.v, r: c.r, s: c.s };
                self.permit(c.owner, c.spender, c.value, c.deadline, &signature)?;
                Vec::new()
            }
        })
    }

    pub(super) fn approve(&mut self, owner: Address, spender: Address, amount: U256) -> Result<()> {
        if spender.is_zero() {
            return Err("ERC20: approve to the zero address");
        }
        self.j.store(Contract::Token, allowance_slot(owner, spender), amount);
        self.j.emit_event(Contract::Token, &IDmlToken::Approval { owner, spender, value: amount });
        Ok(())
    }

    pub(super) fn balance_slot(addr: Address) -> U256 {
        address_slot(addr, u(ts::BALANCES))
    }

    pub(super) fn supply_word(&mut self) -> U256 {
        self.j.load(Contract::Token, u(ts::SUPPLY_AND_ENGINE_BALANCE))
    }

    pub(super) fn balance(&mut self, addr: Address) -> U256 {
        if addr == self.ctx.contracts.engine {
            let word = self.supply_word();
            get(word, field::ENGINE_BALANCE)
        } else {
            get(self.j.load(Contract::Token, Self::balance_slot(addr)), field::BALANCE)
        }
    }

    pub(super) fn set_balance(&mut self, addr: Address, amount: U256) {
        if addr == self.ctx.contracts.engine {
            let word = self.supply_word();
            self.j.store(Contract::Token, u(ts::SUPPLY_AND_ENGINE_BALANCE), set(word, field::ENGINE_BALANCE, amount));
        } else {
            let slot = Self::balance_slot(addr);
            let word = self.j.load(Contract::Token, slot);
            self.j.store(Contract::Token, slot, set(word, field::BALANCE, amount));
        }
    }

    /// ERC-20 transfer on behalf of `from` (called by the token itself).
    pub(super) fn token_transfer(&mut self, from: Address, to: Address, amount: U256) -> Result<()> {
        if from.is_zero() {
            return Err("ERC20: transfer from the zero address");
        }
        if to.is_zero() {
            return Err("ERC20: transfer to the zero address");
        }
        let from_balance = self.balance(from);
        if from_balance < amount {
            return Err("ERC20: transfer amount exceeds balance");
        }
        self.set_balance(from, from_balance - amount);
        let to_balance = self.balance(to);
        self.set_balance(to, to_balance + amount);
        self.j.emit_event(Contract::Token, &IDmlToken::Transfer { from, to, value: amount });
        let (from_delegate, to_delegate) = (self.delegatee(from), self.delegatee(to));
        self.move_votes(from_delegate, to_delegate, amount);
        Ok(())
    }

    /// The engine moving DML (a call into the token contract).
    pub(super) fn transfer(&mut self, from: Address, to: Address, amount: U256) -> Result<()> {
        self.j.touch_token();
        self.token_transfer(from, to, amount)
    }

    /// The engine minting new DML; the only way supply grows after genesis.
    pub(super) fn mint(&mut self, to: Address, amount: U256) -> Result<()> {
        self.j.touch_token();
        let word = self.supply_word();
        let supply = get(word, field::TOTAL_SUPPLY);
        if supply + amount > MAX_SUPPLY {
            return Err("cap exceeded");
        }
        self.j.store(
            Contract::Token,
            u(ts::SUPPLY_AND_ENGINE_BALANCE),
            set(word, field::TOTAL_SUPPLY, supply + amount),
        );
        let balance = self.balance(to);
        self.set_balance(to, balance + amount);
        self.j.emit_event(Contract::Token, &IDmlToken::Transfer { from: Address::ZERO, to, value: amount });
        self.mint_votes(to, amount);
        Ok(())
    }
}

fn allowance_slot(owner: Address, spender: Address) -> U256 {
    address_slot(spender, address_slot(owner, u(ts::ALLOWANCES)))
}
