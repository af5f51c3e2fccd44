//! The initial state of a deployment.

use super::*;

pub(crate) fn genesis<S: Storage>(storage: &mut S, config: &Genesis) -> core::result::Result<Vec<Log>, GenesisError> {
    if config.owner.is_zero() {
        return Err(GenesisError::ZeroOwner);
    }
    if config.start_time >= MAX_TIMESTAMP {
        return Err(GenesisError::StartTimeOutOfRange);
    }
    let p = &config.parameters;
    let wad = WAD.to::<u64>();
    if p.to_array()[..6].iter().any(|&pct| pct > wad)
        || p.max_delegation_commission > wad
        || p.treasury_reward_percentage as u128 + p.liquidity_reward_percentage as u128 > wad as u128
    {
        return Err(GenesisError::PercentageOutOfRange);
    }
    if !unbonding_outlasts_slashes(
        p.delegation_unbonding_time,
        p.min_claim_solution_time,
        p.min_contestation_vote_period_time,
    ) {
        return Err(GenesisError::UnbondingTooShort);
    }
    let mut allocated = U256::ZERO;
    for (holder, amount) in &config.allocations {
        if holder.is_zero() {
            return Err(GenesisError::ZeroAddressAllocation);
        }
        allocated = allocated.saturating_add(*amount);
    }
    if allocated > MAX_SUPPLY {
        return Err(GenesisError::AllocationExceedsCap);
    }

    let mut j = Journal::new(storage, Contract::Engine);
    j.store(Contract::Engine, u(es::OWNER), address_to_word(config.owner));
    j.store(Contract::Engine, u(es::PAUSER), address_to_word(config.pauser));
    j.store(Contract::Engine, u(es::TREASURY), address_to_word(config.treasury));
    j.store(Contract::Engine, u(es::LIQUIDITY_POOL), address_to_word(config.liquidity_pool));
    let values = [
        (Param::EmissionCap, MAX_SUPPLY - allocated),
        (Param::StartTime, u(config.start_time)),
        (Param::SolutionFee, u(p.solution_fee_percentage)),
        (Param::TreasuryReward, u(p.treasury_reward_percentage)),
        (Param::LiquidityReward, u(p.liquidity_reward_percentage)),
        (Param::MinClaimTime, u(p.min_claim_solution_time)),
        (Param::ValidatorMinimum, u(p.validator_minimum_percentage)),
        (Param::Slash, u(p.slash_amount_percentage)),
        (Param::RetractionFee, u(p.retraction_fee_percentage)),
        (Param::MinRetractionWait, u(p.min_retraction_wait_time)),
        (Param::VotePeriod, u(p.min_contestation_vote_period_time)),
        (Param::StakeSinceSlack, u(p.max_contestation_validator_stake_since)),
        (Param::ExitUnlock, u(p.exit_validator_min_unlock_time)),
        (Param::DelegationUnbonding, u(p.delegation_unbonding_time)),
        (Param::DelegationCapRatio, u(p.delegation_cap_ratio)),
        (Param::MaxCommission, u(p.max_delegation_commission)),
        (Param::CommissionCooldown, u(p.delegation_commission_cooldown)),
    ];
    for (param, value) in values {
        let (slot, fld) = param.location();
        let word = j.load(Contract::Engine, u(slot));
        j.store(Contract::Engine, u(slot), set(word, fld, value));
    }
    for (holder, amount) in &config.allocations {
        if *holder == config.contracts.engine {
            return Err(GenesisError::EngineAllocation);
        }
        let slot = address_slot(*holder, u(ts::BALANCES));
        let balance = j.load(Contract::Token, slot);
        j.store(Contract::Token, slot, balance + amount);
        j.emit_event(Contract::Token, &IDmlToken::Transfer { from: Address::ZERO, to: *holder, value: *amount });
    }
    j.store(Contract::Token, u(ts::SUPPLY_AND_ENGINE_BALANCE), set(U256::ZERO, field::TOTAL_SUPPLY, allocated));

    // The rest runs as the protocol's own code would: the allocation's supply
    // checkpoint (no holder delegates yet, so no votes move), then each model
    // registered by its address and given its rate.
    let mut ctx = CallContext::new(config.owner, config.contracts, 0, config.timestamp);
    let mut exec = Exec { j, ctx: &ctx, custom_error: None };
    if !allocated.is_zero() {
        exec.grow_supply(allocated);
    }
    let mut j = exec.j;
    for model in &config.models {
        ctx.sender = model.addr;
        let mut exec = Exec { j, ctx: &ctx, custom_error: None };
        let id = exec.register_model(model.addr, model.fee, &model.template).map_err(GenesisError::Model)?;
        exec.j.store(Contract::Engine, model_slot(id, 1), model.rate);
        exec.emit(IEngine::SolutionMineableRateChange { id, rate: model.rate });
        j = exec.j;
    }
    let (_, logs, _, _) = j.commit();
    Ok(logs)
}
