//! The model registry.

use super::*;

impl<S: Storage> Exec<'_, '_, S> {
    pub(super) fn register_model(&mut self, addr: Address, fee: U256, template: &Bytes) -> Result<B256> {
        self.not_paused()?;
        if addr.is_zero() {
            return Err("address must be non-zero");
        }
        if fee > MAX_SUPPLY {
            return Err("fee above supply cap");
        }
        if template.len() > MAX_TASK_INPUT_BYTES {
            return Err("template too large");
        }
        let (digest, hashed) = cid::cid_v0_digest(template);
        self.j.charge(gas::sha256(hashed));
        let cid = Bytes::from(cid::cid_v0_bytes(&digest));
        let id = self.hash(&(self.ctx.sender, addr, fee, cid).abi_encode_params());
        if !self.j.load(Contract::Engine, model_slot(id, 0)).is_zero() {
            return Err("model already registered");
        }
        let head = set(address_to_word(addr), field::MODEL_FEE, fee);
        self.j.store(Contract::Engine, model_slot(id, 0), head);
        self.j.store(Contract::Engine, model_slot(id, 2), U256::from_be_bytes(digest));
        self.emit(IEngine::ModelRegistered { id });
        Ok(id)
    }
}
