-- Demonstration departments and staff of 桐庐县 (area code 330122). Loaded by scripts/demo-load
-- as ow_routing with search_path = routing, after routingd has migrated its schema;
-- idempotent (ON CONFLICT DO NOTHING).
--
-- Department codes are the departments' 统一社会信用代码 and equal the department_code of
-- the items in deploy/demo/intake.sql. Each department's default approver (who receives the
-- first task of every case of its items) is its chief representative (首席代表) at the centre.
-- Staff ids are 工号: TL + department number + person number.

INSERT INTO departments (code, name) VALUES
('113301220025190176', '桐庐县市场监督管理局'),
('113301220025190251', '桐庐县住房和城乡建设局'),
('11330122002519033U', '杭州市规划和自然资源局桐庐分局'),
('11330122002519041N', '桐庐县公安局'),
('1133012200251905XE', '桐庐县人力资源和社会保障局'),
('11330122002519068E', '桐庐县民政局'),
('113301220025190769', '桐庐县交通运输局'),
('113301220025190844', '桐庐县卫生健康局'),
('13330122002519092Q', '桐庐县残疾人联合会'),
('12330122002519105H', '桐庐县行政服务中心')
ON CONFLICT DO NOTHING;

INSERT INTO staff (staff_id, name, department_code, role) VALUES
-- 市场监管局
('TL0101', '陈建国', '113301220025190176', 'chief_representative'),
('TL0102', '王丽华', '113301220025190176', 'approver'),
('TL0103', '李志强', '113301220025190176', 'approver'),
-- 住建局
('TL0201', '张晓燕', '113301220025190251', 'chief_representative'),
('TL0202', '刘海涛', '113301220025190251', 'approver'),
-- 规划和自然资源
('TL0301', '杨秀英', '11330122002519033U', 'chief_representative'),
('TL0302', '赵文博', '11330122002519033U', 'approver'),
-- 公安局
('TL0401', '黄美玲', '11330122002519041N', 'chief_representative'),
('TL0402', '周伟', '11330122002519041N', 'approver'),
-- 人社局
('TL0501', '吴静', '1133012200251905XE', 'chief_representative'),
('TL0502', '徐斌', '1133012200251905XE', 'approver'),
-- 民政局
('TL0601', '孙丽萍', '11330122002519068E', 'chief_representative'),
('TL0602', '马俊', '11330122002519068E', 'approver'),
-- 交通运输局
('TL0701', '朱红梅', '113301220025190769', 'chief_representative'),
('TL0702', '胡军', '113301220025190769', 'approver'),
-- 卫健局
('TL0801', '郭敏', '113301220025190844', 'chief_representative'),
('TL0802', '何勇', '113301220025190844', 'approver'),
-- 残联
('TL0901', '高洁', '13330122002519092Q', 'chief_representative'),
('TL0902', '林涛', '13330122002519092Q', 'approver'),
-- 行政服务中心: the one window (综合受理窗口) and its supervision
('TL1001', '罗芳', '12330122002519105H', 'window_clerk'),
('TL1002', '郑浩', '12330122002519105H', 'window_clerk'),
('TL1003', '谢婷', '12330122002519105H', 'supervisor'),
('TL1004', '宋磊', '12330122002519105H', 'administrator')
ON CONFLICT DO NOTHING;

INSERT INTO department_approvers (department_code, staff_id) VALUES
('113301220025190176', 'TL0101'),
('113301220025190251', 'TL0201'),
('11330122002519033U', 'TL0301'),
('11330122002519041N', 'TL0401'),
('1133012200251905XE', 'TL0501'),
('11330122002519068E', 'TL0601'),
('113301220025190769', 'TL0701'),
('113301220025190844', 'TL0801'),
('13330122002519092Q', 'TL0901')
ON CONFLICT DO NOTHING;

-- The county centre (area code 330122000000) and two township centres under it (issue 4).
INSERT INTO centres (centre_id, name, level, parent_id) VALUES
('330122000000', '桐庐县政务服务中心', 'county', NULL),
('330122001000', '桐君街道便民服务中心', 'township', '330122000000'),
('330122100000', '富春江镇便民服务中心', 'township', '330122000000')
ON CONFLICT DO NOTHING;
UPDATE departments SET centre_id = '330122000000' WHERE centre_id IS NULL;

-- A/B posts (岗位: A holder 主岗, B holder 协岗) of every demo department. They are not the
-- departments' default posts: new work still goes to the department's approver (its chief
-- representative) as above; these receive work by transfer, and their holders' absences
-- (routing.record_absence) move it to B on A's behalf.
INSERT INTO posts (post_code, department_code, name, a_holder, b_holder, is_default) VALUES
('TL-P01', '113301220025190176', '食品经营许可审查岗', 'TL0102', 'TL0103', false),
('TL-P02', '113301220025190251', '建筑工程施工许可审查岗', 'TL0202', 'TL0201', false),
('TL-P03', '11330122002519033U', '建设用地规划许可审查岗', 'TL0302', 'TL0301', false),
('TL-P04', '11330122002519041N', '户籍业务审查岗', 'TL0402', 'TL0401', false),
('TL-P05', '1133012200251905XE', '社会保障业务审查岗', 'TL0502', 'TL0501', false),
('TL-P06', '11330122002519068E', '社会救助审查岗', 'TL0602', 'TL0601', false),
('TL-P07', '113301220025190769', '道路运输许可审查岗', 'TL0702', 'TL0701', false),
('TL-P08', '113301220025190844', '医疗机构执业许可审查岗', 'TL0802', 'TL0801', false),
('TL-P09', '13330122002519092Q', '残疾人证办理审查岗', 'TL0902', 'TL0901', false)
ON CONFLICT DO NOTHING;
